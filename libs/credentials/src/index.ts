export * from './access-keys.js';
export * from './ec2-signature.js';
export * from './envelope.js';
export * from './key-repository.js';
export * from './request-time.js';
export * from './s3-signature.js';
export * from './sigv4.js';
