import type { FuncMap } from '../func-map.js';
import { keyAndCertificateFunctions } from './certificates.js';
import { conversionAndReflectionFunctions } from './conversion-and-reflection.js';
import { dateFunctions } from './dates.js';
import { defaultFunctions } from './defaults.js';
import { encodingFunctions } from './encoding.js';
import { dictFunctions, listFunctions } from './lists-and-dicts.js';
import { mathFunctions } from './math.js';
import { passwordAndEncryptionFunctions } from './passwords-and-encryption.js';
import { pathUrlAndVersionFunctions } from './paths-urls-and-versions.js';
import { stringFunctions } from './strings.js';

/**
 * Sprig's text function map (Masterminds/sprig v3) as Argo CD exposes it: without env, expandenv
 * and getHostByName. Each file holds one or a few of the subjects sprig's documentation groups its functions by.
 */
export const sprigFunctions: FuncMap = {
  ...stringFunctions,
  ...defaultFunctions,
  ...conversionAndReflectionFunctions,
  ...encodingFunctions,
  ...listFunctions,
  ...dictFunctions,
  ...mathFunctions,
  ...pathUrlAndVersionFunctions,
  ...dateFunctions,
};

// sprig's deprecated spellings, still in its function map.
for (const [alias, name] of [
  ['trimall', 'trimAll'],
  ['biggest', 'max'],
  ['date_in_zone', 'dateInZone'],
  ['date_modify', 'dateModify'],
  ['must_date_modify', 'mustDateModify'],
]) {
  sprigFunctions[alias] = sprigFunctions[name];
}

/** sprig's must* forms return errors where the plain forms would panic; here both report the error. */
for (const name of [
  'mustCompact',
  'mustDeepCopy',
  'mustAppend',
  'mustPush',
  'mustPrepend',
  'mustFirst',
  'mustLast',
  'mustRest',
  'mustInitial',
  'mustReverse',
  'mustUniq',
  'mustWithout',
  'mustHas',
  'mustSlice',
  'mustChunk',
  'mustMerge',
  'mustMergeOverwrite',
]) {
  sprigFunctions[name] = sprigFunctions[name.charAt(4).toLowerCase() + name.slice(5)];
}

/**
 * Sprig's crypto functions with Go's key formats, certificate layout and error texts. Most of them
 * are random on every call, so an Application that uses them changes on every reconcile, as it
 * would in Argo CD.
 */
export const sprigCryptoFunctions: FuncMap = { ...passwordAndEncryptionFunctions, ...keyAndCertificateFunctions };
