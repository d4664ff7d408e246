import { conversationSpec } from './conversation';
import { describeModel } from './run';

describeModel('full', conversationSpec);
describeModel('basic', conversationSpec);
