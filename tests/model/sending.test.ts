import { describeModel } from './run';
import { sendingSpec } from './sending';

describeModel('full', sendingSpec('full'));
describeModel('basic', sendingSpec('basic'));
