export { queuedReason } from '@djc/coordinator';
