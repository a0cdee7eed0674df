package schedparam

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMETable checks every example row of README.md's syntax table.
func TestREADMETable(t *testing.T) {
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	rows := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| `([^`]*)` \\|").FindAllStringSubmatch(string(b), -1)
	require.GreaterOrEqual(t, len(rows), 25)
	params := map[string]string{"last_hour": "$[hh24-1/24]", "region": "cn-hangzhou"}
	for _, row := range rows {
		got, err := Resolve(row[1], cycDoc, params)
		require.NoError(t, err, row[1])
		assert.Equal(t, row[2], got, row[1])
	}
}

// TestDocTable checks the example rows of the syntax table in doc.go.
func TestDocTable(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	rows := regexp.MustCompile(`(?m)^//\t(\$\S+)\s+([^$(\s]\S*)`).FindAllStringSubmatch(string(b), -1)
	require.GreaterOrEqual(t, len(rows), 15)
	for _, row := range rows {
		got, err := Resolve(row[1], cycDoc, nil)
		require.NoError(t, err, row[1])
		assert.Equal(t, row[2], got, row[1])
	}
}
