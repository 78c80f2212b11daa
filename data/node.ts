/** The data layer in Node: everything in data/ and its file-system entry points (data/fs). */
export * from './index.js';
export * from './fs/index.js';
