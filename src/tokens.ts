/** Nest injection tokens for values that are not classes. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const KUBE_CONFIG = Symbol('KUBE_CONFIG');
export const GENERATOR_CONTEXT = Symbol('GENERATOR_CONTEXT');
export const LOGGER = Symbol('LOGGER');
