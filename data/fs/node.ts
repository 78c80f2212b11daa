/** The data layer in Node: everything in data/ and its file-system entry points (data/fs), for the package's Node entry. */
export * from '../index.js';
export * from './index.js';
