import { describeModel } from './run';
import { sendingSpec } from './sending';

describeModel('full', sendingSpec);
describeModel('basic', sendingSpec);
