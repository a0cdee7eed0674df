package pgwriter_test

import "github.com/ferrydata/ferry/internal/pgtest"

// The shared PostgreSQL test helpers, under the names the tests use.
var (
	pgTypes       = pgtest.Types
	readTypes     = pgtest.ReadTypes
	connect       = pgtest.Connect
	tableName     = pgtest.TableName
	createTable   = pgtest.CreateTable
	dsn           = pgtest.DSN
	readBack      = pgtest.ReadBack
	concatBatches = pgtest.ConcatBatches
	connString    = pgtest.ConnString
	newWriter     = pgtest.NewWriter
)
