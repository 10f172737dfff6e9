/**
 * The condition types and reasons Argo CD writes on an ApplicationSet
 * (ApplicationSetConditionType* and ApplicationSetReason* in applicationset_types.go). Users'
 * alerts and dashboards match on these strings, so they are Argo CD's, letter for letter.
 */
export const ConditionType = {
  ErrorOccurred: 'ErrorOccurred',
  ParametersGenerated: 'ParametersGenerated',
  ResourcesUpToDate: 'ResourcesUpToDate',
  RolloutProgressing: 'RolloutProgressing',
  InvalidRolloutConfig: 'InvalidRolloutConfig',
} as const;

export const Reason = {
  ErrorOccurred: 'ErrorOccurred',
  ApplicationSetUpToDate: 'ApplicationSetUpToDate',
  ParametersGenerated: 'ParametersGenerated',
  UpdateApplicationError: 'UpdateApplicationError',
  ApplicationGenerationFromParamsError: 'ApplicationGenerationFromParamsError',
  RenderTemplateParamsError: 'RenderTemplateParamsError',
  CreateApplicationError: 'CreateApplicationError',
  DeleteApplicationError: 'DeleteApplicationError',
  ApplicationValidationError: 'ApplicationValidationError',
  ApplicationSetModified: 'ApplicationSetModified',
  ApplicationSetRolloutComplete: 'ApplicationSetRolloutComplete',
  ApplicationSetRolloutError: 'ApplicationSetRolloutError',
  InvalidRolloutConfig: 'ApplicationSetInvalidRolloutConfig',
  ValidRolloutConfig: 'ApplicationSetValidRolloutConfig',
  /** Regatta: a generation would delete more Applications at once than --max-delete-ratio allows. */
  DeletionHeld: 'DeletionHeld',
} as const;
