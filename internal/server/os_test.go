package server

import "os"

var (
	osExit      = os.Exit
	osRemoveAll = os.RemoveAll
)

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "bricstown-server-test-*") }
