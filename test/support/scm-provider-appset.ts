/**
 * The Template section's example of Argo CD's Generators-SCM-Provider.md around any `scmProvider`
 * body (provider and filters, indented for it); `name` templates the Applications' names.
 */
export const docsTemplateAppSet = (generator: string, name = '{{ .repository }}') => `
kind: ApplicationSet
metadata: {name: myapps, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - scmProvider:
${generator}
  template:
    metadata:
      name: '${name}'
    spec:
      source:
        repoURL: '{{ .url }}'
        targetRevision: '{{ .branch }}'
        path: kubernetes/
      project: default
      destination:
        server: https://kubernetes.default.svc
        namespace: default
`;
