/** The data layer's Node entry points: folders and files on disk. */
export { checkDatasetFolder, discoverDataset, listFiles } from './discover.js';
export { inspectDataset, type InspectOptions, type InspectReport, type SubjectInfo, type VolumeInfo } from './inspect.js';
export { loadDataset, type LoadOptions } from './load.js';
export { readNiftiFile, writeNiftiFile } from './nifti.js';
export { writePhantom, type WritePhantomOptions, type WrittenPhantom } from './phantom.js';
export { evaluationItems } from '../items.js'; // with the rest of what a command needs to score
export { describeData, driftWords, heldOutSubjects, loadSpecDataset, loadSplit, unrecordedSplitNote, type DataSpec, type DataSplit, type SplitDrift } from './split.js';
