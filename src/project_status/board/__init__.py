"""The live web status board: a read-only page over the service layer, kept live by server-sent
events that follow the audit trail."""
