package main

// The connectors the command knows are those package job registers (every
// built-in reader and writer, SQL Server and the stream plugins included):
// run.go imports it.

import (
	// The AI transforms register "llm" and "embed" for job files.
	_ "github.com/ferrydata/ferry/transform/embed"
	_ "github.com/ferrydata/ferry/transform/llm"
)
