import { describe, expect, it } from 'vitest';
import { keyAndCertificateFunctions } from '../../../../src/templating/gotemplate/sprig/certificates.js';
import { conversionAndReflectionFunctions } from '../../../../src/templating/gotemplate/sprig/conversion-and-reflection.js';
import { dateFunctions } from '../../../../src/templating/gotemplate/sprig/dates.js';
import { defaultFunctions } from '../../../../src/templating/gotemplate/sprig/defaults.js';
import { encodingFunctions } from '../../../../src/templating/gotemplate/sprig/encoding.js';
import { sprigFunctions } from '../../../../src/templating/gotemplate/sprig/index.js';
import { dictFunctions, listFunctions } from '../../../../src/templating/gotemplate/sprig/lists-and-dicts.js';
import { mathFunctions } from '../../../../src/templating/gotemplate/sprig/math.js';
import { passwordAndEncryptionFunctions } from '../../../../src/templating/gotemplate/sprig/passwords-and-encryption.js';
import { pathUrlAndVersionFunctions } from '../../../../src/templating/gotemplate/sprig/paths-urls-and-versions.js';
import { stringFunctions } from '../../../../src/templating/gotemplate/sprig/strings.js';

const subjects = [
  stringFunctions,
  defaultFunctions,
  conversionAndReflectionFunctions,
  encodingFunctions,
  listFunctions,
  dictFunctions,
  mathFunctions,
  pathUrlAndVersionFunctions,
  dateFunctions,
  passwordAndEncryptionFunctions,
  keyAndCertificateFunctions,
];

describe('sprig function map', () => {
  it('takes each name from one subject only: a name in two would be overridden without a word', () => {
    const names = subjects.flatMap((functions) => Object.keys(functions));
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('binds the deprecated spellings and the must* forms to the functions they name', () => {
    expect(sprigFunctions.trimall).toBe(sprigFunctions.trimAll);
    expect(sprigFunctions.biggest).toBe(sprigFunctions.max);
    expect(sprigFunctions.must_date_modify).toBe(sprigFunctions.mustDateModify);
    // The regex and JSON must forms differ from the plain ones: plain regex functions quote the pattern as
    // regexp.MustCompile's panic does, plain JSON encoders print nothing where json.Marshal fails.
    const mustForms = Object.keys(sprigFunctions).filter(
      (name) => /^must[A-Z]/.test(name) && !/^must(Regex|To\w*Json)/.test(name) && !['mustFromJson', 'mustToDate', 'mustDateModify'].includes(name),
    );
    expect(mustForms.length).toBe(17);
    for (const name of mustForms) expect(sprigFunctions[name], name).toBe(sprigFunctions[name.charAt(4).toLowerCase() + name.slice(5)]);
  });
});
