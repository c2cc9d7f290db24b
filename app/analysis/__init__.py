"""Post-call analysis: summary, structured extraction of the intake, disposition, reconciliation."""
