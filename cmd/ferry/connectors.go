package main

// The connectors the command knows, registered by importing them.
import ()
