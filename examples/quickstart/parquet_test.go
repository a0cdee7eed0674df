package main

import "testing"

func checkParquet(t *testing.T, res *result, want int64) {}
