/** The most timestamps (ms) that fall in any window of `windowMs`: how an SMSC counts a TPS limit. One rule, the simulator's. */
export { maxInAnyWindow } from '../../simulator/sliding-window';
