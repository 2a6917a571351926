export * from './http.js';
export * from './logger.js';
export * from './nest-app.js';
export * from './run-main.js';
export * from './wire.js';
export * from './metrics.js';
export * from './raw-body.js';
export * from './json-body.js';
