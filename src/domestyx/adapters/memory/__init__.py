"""In-memory fakes of every port; they pass the same contract suites as the real adapters."""
