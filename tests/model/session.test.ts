import { describeModel } from './run';
import { sessionSpec } from './session';

describeModel('full', sessionSpec('full'));
describeModel('basic', sessionSpec('basic'));
