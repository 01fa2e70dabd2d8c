// Project lint rules: the layering of ../shared/ARCHITECTURE.md, checked on resolved paths
// (a regex over import strings misses `../../kernel` from a nested folder).
import path from 'node:path';

/** Layers from top to bottom; a file may import its own layer or any layer below it. */
export const LAYERS = ['tools', 'scenarios', 'drivers', 'kernel', 'hw-sim'];

function layerOf(root, absFile) {
  const rel = path.relative(root, absFile);
  if (rel.startsWith('..')) return undefined;
  const top = rel.split(path.sep)[0];
  return LAYERS.includes(top) ? top : undefined;
}

const layerImports = {
  meta: {
    type: 'problem',
    docs: { description: 'imports only point down: tools > scenarios > drivers > kernel > hw-sim' },
    schema: [],
    messages: {
      up: '{{from}}/ may not import {{to}}/ (imports only point down: tools > scenarios > drivers > kernel > hw-sim)',
    },
  },
  create(context) {
    const root = context.cwd;
    const file = context.filename;
    const from = layerOf(root, file);
    if (!from) return {};
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = layerOf(root, path.resolve(path.dirname(file), source));
      if (to && LAYERS.indexOf(to) < LAYERS.indexOf(from)) {
        context.report({ node, messageId: 'up', data: { from, to } });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { 'layer-imports': layerImports } };
