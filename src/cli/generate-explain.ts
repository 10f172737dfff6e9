import { explainGeneration, type FieldOrigin, type GeneratorCall } from '../appset/generation-explain.js';
import type { PreviewGeneration } from '../appset/preview-generation.js';

/** `regatta generate --explain`: each generated Application, field by field, with where its value came from. */
export function explanationText(outputs: PreviewGeneration['outputs'], roots: GeneratorCall[]): string {
  let text = '';
  for (const { appSet, result } of outputs) {
    for (const explanation of explainGeneration(appSet, result.generated, roots)) {
      text += `ApplicationSet ${appSet.metadata.name}: Application ${explanation.name}${explanation.generator ? ` ← ${explanation.generator}` : ''}\n`;
      for (const field of explanation.fields) text += `  ${fieldLine(field)}\n`;
    }
  }
  return text;
}

function fieldLine(field: FieldOrigin): string {
  const value = JSON.stringify(field.value);
  switch (field.origin) {
    case 'literal':
      return `${field.path} = ${value} (literal)`;
    case 'templatePatch':
      return `${field.path} = ${value} (spec.templatePatch)`;
    case 'controller':
      return `${field.path} = ${value} (set by the controller: ${field.note})`;
    case 'expression': {
      const shown = field.value === undefined ? '' : ` = ${value}`;
      return `${field.path} ← ${field.template}${shown} (${sources(field)})`;
    }
  }
}

/** `spec.generators[0].list: cluster, env; spec.generators[0].matrix.generators[1].clusters: server`. */
function sources(field: FieldOrigin): string {
  if (field.parameters.length === 0) return 'no parameter';
  const byGenerator = new Map<string, string[]>();
  for (const { name, generator } of field.parameters) {
    const key = generator ?? '';
    byGenerator.set(key, [...(byGenerator.get(key) ?? []), name]);
  }
  return [...byGenerator].map(([generator, names]) => (generator ? `${generator}: ${names.join(', ')}` : `${names.join(', ')}: no such parameter`)).join('; ');
}
