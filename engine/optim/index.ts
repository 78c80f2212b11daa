export { Adam, type AdamOptions } from './adam.js';
