/**
 * fedmed's federation layer: a hospital (`Client`), FedAvg, one federated
 * round, generators by name, and differential privacy (DP-SGD, GS-WGAN,
 * the accountant and its ledger, the secret key behind the noise).
 * Browser-safe.
 */
export * from './client.js';
export * from './seeded-client.js';
export * from './fedavg.js';
export * from './round.js';
export * from './state.js';
export * from './dp/dpsgd.js';
export * from './dp/gswgan.js';
export * from './dp/accountant.js';
export * from './dp/ledger.js';
export * from './dp/secret.js';
export * from './checkpoint.js';
