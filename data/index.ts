/**
 * fedmed's data layer, the part that runs in a browser as well as in Node:
 * NIfTI bytes in and out, dataset layouts from file lists, the built-in
 * phantom, slices, splits, federated partitions, items, augmentation and the
 * batch loader. Reading and writing folders is in data/fs (Node only).
 */
export { contrastInName, contrasts, contrastOf, misnamedInput, parseContrast, type Contrast } from './contrasts.js';
export { DataError } from './errors.js';
export { isConstant } from './checks.js';
export { checkFileSize, decodeNifti, isGzipped, maxFileBytes, NiftiDecoder, NiftiReader, type DecodeOptions } from './nifti/decode.js';
export { readNiftiBlob } from './nifti/blob.js';
export { encodeNifti, gzipInSteps, type EncodeOptions } from './nifti/encode.js';
export { createHeader, headerAffine, type NiftiHeader } from './nifti/header.js';
export type { DatatypeName } from './nifti/datatype.js';
export { finitePlane, volumeDims, volumePlane, type NiftiVolume, type VolumePlanes } from './nifti/volume.js';
export { bratsPath, detectLayout, ignoredWords, indexDataset, ixiFileName, layoutContrasts, missingContrasts, type DatasetIndex, type Layout, type SubjectFiles } from './layouts.js';
export { minMaxNormalize, padToSquare, planeToSlice, resizeBilinear } from './slices.js';
export {
  defaultSize,
  defaultSliceRange,
  phantomDataset,
  phantomSubjectId,
  subjectFromVolumes,
  skippedLine,
  subjectSlice,
  type SkippedSubject,
  type SliceDataset,
  type SliceOptions,
  type Subject,
} from './dataset.js';
export { phantomCohort, phantomDefaults, phantomHeader, phantomSliceRange, renderPlanes, type PhantomCohort, type PhantomOptions } from './phantom/cohort.js';
export { phantomFiles, phantomManifest, phantomManifestName, type PhantomFile, type PhantomManifest } from './phantom/files.js';
export { splitSubjects, type SplitOptions } from './split.js';
export { partitionClients, schemeWeights, shareCounts, tableThree, type PartitionOptions, type Scheme } from './partition.js';
export { buildItems, describeItems, evaluationItems, type Item, type ItemOptions } from './items.js';
export { drawMisalignment, misalignmentRanges, warpNearest, type AffineParams, type Misalignment } from './augment.js';
export { BatchLoader, contrastPairs, largestSubjectShare, poissonSample, SUBJECT_SLICES, type Batch, type EmptyBatch, type LoaderOptions, type PrivacyUnit } from './loader.js';
export { mixSeed, streamRng } from './seed.js';
