"""Pure functions shared by the stages: no argv, no params.yaml, no fixed paths."""
