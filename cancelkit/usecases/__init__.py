"""The use cases: one module per command of the library (generate, check, review, confirm,
history, ...), each planning its outputs, running, staging, committing and returning an
`Outcome` (outcome.py) that the command line prints. Nothing is re-exported here."""
