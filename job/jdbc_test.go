package job

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFromJDBC(t *testing.T) {
	tests := []struct {
		jdbc, want, warn string
	}{
		{"jdbc:mysql://db:3306/shop?useUnicode=true&characterEncoding=utf8&useSSL=false&connectTimeout=5000", "mysql://u:p%40ss@db:3306/shop?timeout=5000ms", ""},
		{"jdbc:mysql://db/shop?useSSL=true&weirdOption=1", "mysql://u:p%40ss@db/shop?tls=skip-verify", "weirdOption"},
		{"jdbc:postgresql://pg:5432/dw?sslmode=disable&currentSchema=ods", "postgres://u:p%40ss@pg:5432/dw?search_path=ods&sslmode=disable", ""},
		{"jdbc:sqlserver://mssql:1433;databaseName=shop;encrypt=false", "sqlserver://u:p%40ss@mssql:1433?database=shop&encrypt=false", ""},
		{`jdbc:sqlserver://mssql\SQLEXPRESS;DatabaseName=shop`, "sqlserver://u:p%40ss@mssql/SQLEXPRESS?database=shop", ""},
		{"jdbc:sqlite:/data/shop.db", "sqlite:///data/shop.db", ""},
	}
	for _, tt := range tests {
		got, err := fromJDBC(tt.jdbc, "u", "p@ss")
		require.NoError(t, err, tt.jdbc)
		require.Equal(t, tt.want, got.url, tt.jdbc)
		if tt.warn != "" {
			require.Len(t, got.warnings, 1)
			require.Contains(t, got.warnings[0], tt.warn)
		} else {
			require.Empty(t, got.warnings, tt.jdbc)
		}
	}
	_, err := fromJDBC("jdbc:oracle:thin:@h:1521:x", "u", "p")
	require.ErrorContains(t, err, "oracle")
	_, err = fromJDBC("mysql://h/db", "u", "p")
	require.ErrorContains(t, err, "does not start with jdbc:")
}

// A DataX SQL Server job maps onto the SQL Server connectors' URLs.
func TestSQLServerJob(t *testing.T) {
	text := `{"job": {"setting": {"speed": {"channel": 2}}, "content": [{
	  "reader": {"name": "sqlserverreader", "parameter": {"username": "sa", "password": "pw", "column": ["id", "name"], "splitPk": "id",
	     "connection": [{"table": ["dbo.orders"], "jdbcUrl": ["jdbc:sqlserver://mssql:1433;databaseName=shop"]}]}},
	  "writer": {"name": "sqlserverwriter", "parameter": {"username": "sa", "password": "pw", "column": ["id", "name"], "writeMode": "update",
	     "connection": [{"jdbcUrl": "jdbc:sqlserver://mssql:1433;databaseName=dw", "table": ["dbo.orders"]}]}}}]}}`
	p, err := Parse([]byte(text), nil)
	require.NoError(t, err)
	require.Equal(t, "sqlserver://sa:pw@mssql:1433?columns=id%2Cname&database=shop&splitPk=id&table=dbo.orders", p.Source.Parts[0].URL)
	require.Equal(t, "sqlserver://sa:pw@mssql:1433?database=dw&mode=upsert&table=dbo.orders", p.Destination.URL)
	require.NotContains(t, p.Shown(), ":pw@")
}
