package main

import "testing"

// TestDemo runs the demo: four rows land, the bad line is a tolerated
// dirty row.
func TestDemo(t *testing.T) {
	if err := run("", "", "orders", "", "", 10); err != nil {
		t.Fatal(err)
	}
	if err := run("", "", "orders", "", "", 0); err == nil {
		t.Fatal("a dirty row with maxdirty=0 did not fail the run")
	}
}
