package sqlsource

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ferrydata/ferry/internal/urlparam"
)

func TestFromParams(t *testing.T) {
	tests := []struct {
		query string
		want  Source
		err   string
	}{
		{"table=s.t&columns=a,b&where=id>1%3B&splitPk=id", Source{Table: "s.t", Columns: []string{"a", "b"}, Where: "id>1", SplitPK: "id"}, ""},
		{"querySql=SELECT+1", Source{QuerySQL: "SELECT 1"}, ""},
		{"", Source{}, "set table or querySql"},
		{"table=t&querySql=SELECT+1", Source{Table: "t", QuerySQL: "SELECT 1"}, "not both"},
		{"querySql=SELECT+1&splitPk=id", Source{QuerySQL: "SELECT 1", SplitPK: "id"}, "go with table"},
		{"table=t&columns=a,,b", Source{Table: "t", Columns: []string{"a", "", "b"}}, "empty name"},
	}
	for _, tc := range tests {
		q, _ := url.ParseQuery(tc.query)
		p := urlparam.New("xreader", &url.URL{RawQuery: q.Encode()})
		s := FromParams(p)
		require.NoError(t, p.Done())
		require.Equal(t, tc.want, s, tc.query)
		err := s.Check("xreader")
		if tc.err == "" {
			require.NoError(t, err, tc.query)
		} else {
			require.ErrorContains(t, err, tc.err, tc.query)
			require.ErrorContains(t, err, "xreader: ", tc.query)
		}
	}
}
