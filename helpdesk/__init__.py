"""Partner Help Desk: the command line, the embedded mode and the plumbing every service uses."""
