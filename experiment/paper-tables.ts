/**
 * The paper's own figures (FedMed-GAN, Wang, Xie et al.; the text in
 * /work/shared/paper.txt), copied as printed, so every table fedmed writes
 * can put them beside its own. Directions are written as fedmed's metrics
 * name them ('PD->T2'); models by fedmed's model names.
 */

export type Metric = 'mae' | 'psnr' | 'ssim';
export const metrics: readonly Metric[] = ['mae', 'psnr', 'ssim'];

/** The paper's five models, in its row order, by fedmed's names. */
export const paperModels = ['munit', 'unit', 'cyclegan', 'hlhgan', 'hypergan'] as const;
export type PaperModel = (typeof paperModels)[number];

type ByMetric = Record<Metric, readonly number[]>;

export interface ModelsTable {
  /** Which of the paper's tables. */
  table: string;
  data: 'BraTS2021' | 'IXI';
  /** The columns. */
  directions: readonly string[];
  /** Non-Fed. (centralized) and Fed. (FedMed-GAN: federated with DP-SGD) rows, per model, one value per direction. */
  centralized: Record<PaperModel, ByMetric>;
  federated: Record<PaperModel, ByMetric>;
}

/** Table 1: BraTS2021, every pair of T1, T2, FLAIR. */
export const table1: ModelsTable = {
  table: 'Table 1',
  data: 'BraTS2021',
  directions: ['T1->T2', 'T1->FLAIR', 'T2->T1', 'T2->FLAIR', 'FLAIR->T1', 'FLAIR->T2'],
  centralized: {
    munit: { mae: [0.0452, 0.0492, 0.0466, 0.0459, 0.0382, 0.0420], psnr: [21.743, 19.818, 20.123, 20.141, 21.623, 21.721], ssim: [0.8980, 0.8853, 0.9371, 0.9023, 0.9543, 0.9117] },
    unit: { mae: [0.0437, 0.0507, 0.0536, 0.0487, 0.0482, 0.0410], psnr: [20.833, 20.190, 20.067, 20.266, 20.493, 21.212], ssim: [0.8855, 0.8936, 0.9313, 0.8930, 0.9338, 0.9101] },
    cyclegan: { mae: [0.0567, 0.0535, 0.0557, 0.0462, 0.0471, 0.0454], psnr: [19.244, 20.098, 19.012, 20.683, 20.315, 20.979], ssim: [0.8427, 0.8984, 0.9192, 0.9140, 0.9371, 0.9003] },
    hlhgan: { mae: [0.0217, 0.0234, 0.0245, 0.0237, 0.0246, 0.0254], psnr: [30.847, 30.578, 30.876, 30.847, 30.702, 30.689], ssim: [0.8127, 0.8137, 0.8145, 0.8167, 0.8130, 0.8146] },
    hypergan: { mae: [0.0073, 0.0071, 0.0081, 0.0083, 0.0084, 0.0082], psnr: [31.805, 31.901, 30.894, 30.521, 30.456, 30.745], ssim: [0.9270, 0.9310, 0.9057, 0.9032, 0.9021, 0.9128] },
  },
  federated: {
    munit: { mae: [0.0783, 0.0934, 0.0972, 0.0960, 0.1031, 0.0782], psnr: [16.653, 15.377, 15.724, 15.275, 14.931, 17.048], ssim: [0.6850, 0.6463, 0.8325, 0.6402, 0.8048, 0.7114] },
    unit: { mae: [0.2631, 0.2458, 0.3461, 0.2331, 0.3443, 0.3150], psnr: [9.3403, 9.5427, 7.9660, 10.284, 7.4321, 7.6504], ssim: [0.0563, 0.2066, 0.0359, 0.1768, 0.0187, 0.0555] },
    cyclegan: { mae: [0.0609, 0.0565, 0.0565, 0.0508, 0.0470, 0.0591], psnr: [18.506, 18.620, 18.620, 19.904, 20.540, 19.402], ssim: [0.8507, 0.9146, 0.9146, 0.8954, 0.9405, 0.8666] },
    hlhgan: { mae: [0.0225, 0.0242, 0.0256, 0.0257, 0.0249, 0.0261], psnr: [30.852, 30.523, 30.456, 29.843, 29.478, 29.587], ssim: [0.8032, 0.8131, 0.8121, 0.8135, 0.8042, 0.8212] },
    hypergan: { mae: [0.0082, 0.0081, 0.0092, 0.0085, 0.0094, 0.0086], psnr: [31.905, 31.575, 29.894, 30.323, 30.578, 30.812], ssim: [0.9183, 0.9237, 0.9057, 0.9032, 0.9046, 0.9217] },
  },
};

/** Table 2: IXI, PD and T2. */
export const table2: ModelsTable = {
  table: 'Table 2',
  data: 'IXI',
  directions: ['T2->PD', 'PD->T2'],
  centralized: {
    munit: { mae: [0.0366, 0.0324], psnr: [23.498, 23.994], ssim: [0.9666, 0.9524] },
    unit: { mae: [0.0417, 0.0356], psnr: [22.671, 23.000], ssim: [0.9575, 0.9380] },
    cyclegan: { mae: [0.0356, 0.0315], psnr: [24.702, 24.145], ssim: [0.9715, 0.9516] },
    hlhgan: { mae: [0.0372, 0.0352], psnr: [30.045, 30.176], ssim: [0.8872, 0.8745] },
    hypergan: { mae: [0.0137, 0.0148], psnr: [30.521, 30.307], ssim: [0.9117, 0.9139] },
  },
  federated: {
    munit: { mae: [0.1093, 0.0842], psnr: [16.263, 17.057], ssim: [0.8393, 0.7033] },
    unit: { mae: [0.9800, 0.2570], psnr: [9.4781, 8.8979], ssim: [0.1587, 0.0471] },
    cyclegan: { mae: [0.0401, 0.0364], psnr: [24.061, 23.824], ssim: [0.9666, 0.9472] },
    hlhgan: { mae: [0.0275, 0.0273], psnr: [30.031, 29.852], ssim: [0.8653, 0.8677] },
    hypergan: { mae: [0.0132, 0.0133], psnr: [29.641, 29.342], ssim: [0.9103, 0.9098] },
  },
};

export const clientCounts = [2, 4, 8] as const;
export const schemes = ['average', 'gradual', 'extreme'] as const;

/**
 * Table 3: federated CycleGAN with DP-SGD (sigma 1.07, C 1.0; its gradual,
 * 4-client cell equals Table 4's), per scheme and number of clients, one
 * value per client count. The paper does not name the direction; its
 * figures match IXI PD->T2 in size.
 */
export const table3: Record<(typeof schemes)[number], ByMetric> = {
  average: { mae: [0.0258, 0.0199, 0.0219], psnr: [26.9717, 28.0443, 27.4549], ssim: [0.9736, 0.9785, 0.9775] },
  gradual: { mae: [0.0252, 0.0203, 0.0204], psnr: [27.4915, 27.7578, 27.8672], ssim: [0.9776, 0.9787, 0.9787] },
  extreme: { mae: [0.0264, 0.0222, 0.0218], psnr: [26.8523, 27.5999, 28.1727], ssim: [0.9737, 0.9783, 0.9889] },
};

export const noises = [0.5, 1.07, 2.0] as const;
export const clips = [0.7, 1.0, 1.3] as const;

/** Table 4: federated (4 clients, gradual) with DP-SGD, per noise multiplier (rows) and clipping bound (one value per clip). */
export const table4: Record<string, ByMetric> = {
  '0.5': { mae: [0.0198, 0.0200, 0.0226], psnr: [27.8496, 27.934, 27.8617], ssim: [0.9787, 0.9794, 0.9786] },
  '1.07': { mae: [0.0212, 0.0203, 0.0201], psnr: [28.0310, 27.7578, 27.7840], ssim: [0.9801, 0.9787, 0.9786] },
  '2': { mae: [0.0203, 0.0204, 0.0222], psnr: [27.8385, 27.8125, 27.8149], ssim: [0.9784, 0.9786, 0.9782] },
};

export const discriminatorCounts = [2, 4, 8] as const;

/**
 * Tables 5 and 6: centralized CycleGAN with D discriminators per domain,
 * their logits averaged: test PSNR at these epochs, one value per D. The
 * paper names neither table's data; their starting values match Table 7's
 * IXI PD->T2 (Table 5) and BraTS T1->FLAIR (Table 6) rows.
 */
export const discriminatorEpochs = [1, 6, 9, 15, 18, 24, 30] as const;
export const table5: readonly (readonly number[])[] = [
  [25.1043, 24.8932, 24.9375], [24.1453, 23.9843, 23.7685], [23.6572, 23.3483, 22.5643], [21.4587, 21.3987, 20.8761],
  [20.8875, 20.8846, 20.1698], [19.2497, 19.1430, 18.9456], [18.2768, 18.3674, 18.3654],
];
export const table6: readonly (readonly number[])[] = [
  [18.9329, 18.2671, 18.1451], [19.3435, 18.9982, 18.9213], [18.3467, 18.1656, 18.1345], [17.6589, 17.4532, 17.2869],
  [16.6945, 16.5672, 16.4783], [16.2497, 15.9843, 15.7566], [15.9345, 15.6756, 15.6783],
];

/** Table 7: centralized CycleGAN without and with DP-SGD, test PSNR at these epochs. */
export const table7Epochs = [1, 4, 7, 10, 13, 16, 19, 21, 24, 27, 30] as const;
export const table7 = {
  ixi: {
    without: [23.69, 25.03, 24.10, 25.30, 24.91, 23.11, 23.49, 20.18, 21.16, 22.50, 19.42],
    with: [25.67, 25.67, 25.98, 24.23, 23.41, 20.68, 21.07, 23.69, 18.91, 20.71, 21.79],
  },
  brats: {
    without: [18.20, 18.28, 18.67, 19.40, 18.78, 18.47, 17.39, 17.74, 19.47, 17.51, 18.47],
    with: [19.34, 19.94, 19.20, 19.43, 19.53, 19.50, 19.53, 19.40, 18.95, 19.61, 16.82],
  },
} as const;

/**
 * The privacy-budget table (section 6.2.8, unnumbered): federated DP-SGD at
 * delta 1e-5, per noise multiplier (rows) and number of clients (one value
 * per count): the epsilon the paper reports and the PSNR it measured. Its
 * epsilons are reproduced by RDP accounting of sampling without replacement
 * at q = 1 / clients over 240 steps (see fedmed privacy --help).
 */
export const epsilonTable: Record<string, { epsilon: readonly number[]; psnr: readonly number[] }> = {
  '0.5': { epsilon: [813.79, 505.26, 250.44], psnr: [27.4678, 28.0123, 27.1564] },
  '1.07': { epsilon: [200.47, 74.36, 28.83], psnr: [27.7341, 28.1374, 27.1432] },
  '2': { epsilon: [71.51, 27.98, 12.92], psnr: [27.8921, 28.1475, 27.1876] },
};
