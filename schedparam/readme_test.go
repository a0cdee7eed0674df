package schedparam

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMETable checks every example row of the syntax table in the
// project README's scheduling-parameters section.
func TestREADMETable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	doc := string(b)
	start := strings.Index(doc, "## Scheduling parameters")
	require.GreaterOrEqual(t, start, 0, "README has no scheduling-parameters section")
	doc = doc[start:]
	if end := strings.Index(doc[3:], "\n## "); end >= 0 {
		doc = doc[:end+3]
	}
	rows := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| `([^`]*)` \\|").FindAllStringSubmatch(doc, -1)
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
