package pgwriter

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ferrydata/ferry"
)

// The swap plan. An overwrite (and an insert into a table that is empty)
// stages into a LOGGED copy of the target (LIKE ... INCLUDING ALL), so the
// rows are written once; Commit then puts the stage in the target's place
// by renaming, inside the commit transaction, and carries over what makes
// the table the same to its users: grants, owner, table comment, dependent
// views (re-pointed with CREATE OR REPLACE VIEW), foreign keys in both
// directions (re-created, so they are validated again), sequences owned by
// its columns (serial), identity sequence positions, index and constraint
// names. Tables with anything else attached (triggers, row security,
// rules, publications, inheritance or partitions, materialized views or
// other objects using its row type, a non-default replica identity) are
// not swapped: their stage is UNLOGGED and Commit moves the rows with
// TRUNCATE + INSERT ... SELECT, as for the other modes. What a swap does not
// keep: the table's OID (and so its statistics counters and anything that
// refers to it by OID), storage parameters (reloptions) and the planner
// statistics (autovacuum's ANALYZE rebuilds them); the stage's
// ferry_attempt column stays behind as a dropped column (8 bytes per row
// until the table is rewritten).

// swappable reports why the target cannot be swapped ("" when it can),
// its tablespace ("" for the database's default) and, with checkEmpty,
// whether it has no rows; in one round trip.
func (w *Writer) swappable(ctx context.Context, c *pgx.Conn, checkEmpty bool) (why, tablespace string, empty bool, err error) {
	emptySQL := "true"
	if checkEmpty {
		emptySQL = "NOT EXISTS (SELECT 1 FROM " + w.target + ")"
	}
	err = c.QueryRow(ctx, `SELECT CASE
		WHEN c.relkind <> 'r' THEN 'it is not a plain table'
		WHEN c.relrowsecurity THEN 'it has row security'
		WHEN c.relreplident <> 'd' THEN 'it has a replica identity'
		WHEN c.reloftype <> 0 THEN 'it is a typed table'
		WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal) THEN 'it has triggers'
		WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid) THEN 'it has policies'
		WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r WHERE r.ev_class = c.oid) THEN 'it has rules'
		WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel p WHERE p.prrelid = c.oid) THEN 'it is published'
		WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid OR i.inhparent = c.oid) THEN 'it has inheritance'
		WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.refclassid = 'pg_catalog.pg_type'::regclass AND d.refobjid = c.reltype
			AND NOT (d.classid = 'pg_catalog.pg_type'::regclass)) THEN 'objects use its row type'
		WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND r.oid = d.objid
			JOIN pg_catalog.pg_class v ON v.oid = r.ev_class
			WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = c.oid AND v.oid <> c.oid AND v.relkind <> 'v') THEN 'materialized views depend on it'
		ELSE '' END,
		coalesce((SELECT spcname FROM pg_catalog.pg_tablespace WHERE oid = c.reltablespace), ''),
		`+emptySQL+`
		FROM pg_catalog.pg_class c WHERE c.oid = $1::regclass`, w.target).Scan(&why, &tablespace, &empty)
	if err != nil {
		return "", "", false, fmt.Errorf("pgwriter: table %s: %w", w.cfg.Table, err)
	}
	return why, tablespace, empty, nil
}

// choosePlan picks the stage plan of a new run: swap for overwrite, and for
// insert into an empty table, when the target can be swapped; and the
// target's tablespace, where a swap stage goes.
func (w *Writer) choosePlan(ctx context.Context) (plan, tablespace string, err error) {
	if !w.stagedRun || (w.cfg.Mode != ferry.ModeOverwrite && w.cfg.Mode != ferry.ModeInsert) {
		return planMove, "", nil
	}
	why, ts, empty, err := w.swappable(ctx, w.admin, w.cfg.Mode == ferry.ModeInsert)
	if err != nil || why != "" || !empty {
		return planMove, "", err
	}
	return planSwap, ts, nil
}

// swapSQL returns the statements that put the stage in the target's place,
// read from the catalog inside the commit transaction (after the target is
// locked), or "" with why when the target can no longer be swapped.
func (w *Writer) swapSQL(ctx context.Context, c *pgx.Conn) ([]string, string, error) {
	fail := func(err error) ([]string, string, error) {
		return nil, "", fmt.Errorf("pgwriter: swap into %s: %w", w.cfg.Table, err)
	}
	if err := exec(ctx, c, "LOCK TABLE "+w.target+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return fail(err)
	}
	why, _, empty, err := w.swappable(ctx, c, w.cfg.Mode == ferry.ModeInsert)
	if err != nil || why != "" {
		return nil, why, err
	}
	if !empty {
		return nil, "the table is no longer empty", nil
	}
	// Definitions are printed with every name qualified.
	tgt := quote(w.nsp) + "." + quote(w.rel)
	var searchPath string
	if err := c.QueryRow(ctx, "SELECT current_setting('search_path')").Scan(&searchPath); err != nil {
		return fail(err)
	}
	if _, err := c.Exec(ctx, "SELECT set_config('search_path', 'pg_catalog', true)"); err != nil {
		return fail(err)
	}
	defer c.Exec(ctx, "SELECT set_config('search_path', $1, true)", searchPath)
	oldName := w.rowsName + "_o"
	old := quote(w.nsp) + "." + quote(oldName)
	var pre, post []string
	strs := func(sql string, args ...any) ([]string, error) {
		rows, err := c.Query(ctx, sql, args...)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, pgx.RowTo[string])
	}
	// foreign keys of other tables that reference the target: dropped
	// before, re-created after (validated against the new rows)
	inbound, err := strs(`SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) || E'\x1f' ||
			format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
		FROM pg_catalog.pg_constraint WHERE contype = 'f' AND confrelid = $1::regclass AND conrelid <> confrelid ORDER BY oid`, tgt)
	if err != nil {
		return fail(err)
	}
	for _, s := range inbound {
		drop, add, _ := strings.Cut(s, "\x1f")
		pre = append(pre, drop)
		post = append(post, add)
	}
	// the target's own foreign keys, re-created on the new table
	outbound, err := strs(`SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', $2::text, conname, pg_get_constraintdef(oid))
		FROM pg_catalog.pg_constraint WHERE contype = 'f' AND conrelid = $1::regclass ORDER BY oid`, tgt, tgt)
	if err != nil {
		return fail(err)
	}
	// dependent views, re-pointed at the new table by name
	views, err := strs(`SELECT DISTINCT format('CREATE OR REPLACE VIEW %s%s AS %s', v.oid::regclass,
			CASE WHEN v.reloptions IS NULL THEN '' ELSE ' WITH (' || array_to_string(v.reloptions, ', ') || ')' END,
			pg_get_viewdef(v.oid))
		FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND r.oid = d.objid
		JOIN pg_catalog.pg_class v ON v.oid = r.ev_class
		WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = $1::regclass AND v.relkind = 'v'`, tgt)
	if err != nil {
		return fail(err)
	}
	// grants (table and column), owner, comment
	grants, err := strs(`SELECT format('GRANT %s ON %s TO %s%s', a.privilege_type, $2::text,
			CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
			CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
		FROM pg_catalog.pg_class c, aclexplode(c.relacl) a WHERE c.oid = $1::regclass AND a.grantee <> c.relowner
		UNION ALL
		SELECT format('GRANT %s (%I) ON %s TO %s%s', a.privilege_type, att.attname, $2::text,
			CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
			CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
		FROM pg_catalog.pg_attribute att, aclexplode(att.attacl) a WHERE att.attrelid = $1::regclass AND att.attacl IS NOT NULL
		UNION ALL
		SELECT format('ALTER TABLE %s OWNER TO %I', $2::text, pg_get_userbyid(c.relowner)) FROM pg_catalog.pg_class c
			WHERE c.oid = $1::regclass AND c.relowner <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
		UNION ALL
		SELECT format('COMMENT ON TABLE %s IS %L', $2::text, d.description) FROM pg_catalog.pg_description d
			WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = $1::regclass AND d.objsubid = 0`, tgt, tgt)
	if err != nil {
		return fail(err)
	}
	// sequences owned by the target's columns (serial): handed over, so
	// that dropping the old table keeps them
	owned, err := strs(`SELECT format('ALTER SEQUENCE %s OWNED BY %s.%I', d.objid::regclass, $2::text, a.attname)
		FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
		JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
		WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refobjid = $1::regclass AND d.deptype = 'a'`, tgt, tgt)
	if err != nil {
		return fail(err)
	}
	// identity columns: the stage's new sequences continue where the old ones were
	ident, err := strs(`SELECT format('SELECT setval(%L, greatest(n.last_value, o.last_value), n.is_called OR o.is_called) FROM %s n, %s o',
			pg_get_serial_sequence($2, a.attname), pg_get_serial_sequence($2, a.attname), pg_get_serial_sequence($1, a.attname))
		FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::regclass AND a.attidentity <> '' AND NOT a.attisdropped`, tgt, w.rows)
	if err != nil {
		return fail(err)
	}
	// index and constraint names: LIKE ... INCLUDING INDEXES copies the
	// indexes in OID order; pair them up and take the old names back
	rename, err := strs(`WITH o AS (SELECT i.indexrelid, i.indkey::text AS k, i.indisunique AS u, row_number() OVER (ORDER BY i.indexrelid) AS n
			FROM pg_catalog.pg_index i WHERE i.indrelid = $1::regclass),
		s AS (SELECT i.indexrelid, i.indkey::text AS k, i.indisunique AS u, row_number() OVER (ORDER BY i.indexrelid) AS n
			FROM pg_catalog.pg_index i WHERE i.indrelid = $2::regclass)
		SELECT CASE WHEN oc.conname IS NOT NULL AND sc.conname IS NOT NULL
				THEN format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', $3::text, sc.conname, oc.conname)
				ELSE format('ALTER INDEX %s RENAME TO %I', s.indexrelid::regclass, (SELECT relname FROM pg_catalog.pg_class WHERE oid = o.indexrelid)) END
		FROM o JOIN s ON s.n = o.n AND s.k = o.k AND s.u = o.u
		LEFT JOIN pg_catalog.pg_constraint oc ON oc.conindid = o.indexrelid AND oc.conrelid = $1::regclass
		LEFT JOIN pg_catalog.pg_constraint sc ON sc.conindid = s.indexrelid AND sc.conrelid = $2::regclass
		ORDER BY o.n`, tgt, w.rows, tgt)
	if err != nil {
		return fail(err)
	}
	stmts := append(pre,
		"ALTER TABLE "+w.rows+" DROP COLUMN ferry_attempt",
		"ALTER TABLE "+tgt+" RENAME TO "+quote(oldName),
		"ALTER TABLE "+w.rows+" RENAME TO "+quote(w.rel))
	stmts = append(stmts, views...)
	stmts = append(stmts, owned...)
	stmts = append(stmts, ident...)
	stmts = append(stmts, grants...)
	stmts = append(stmts, outbound...)
	stmts = append(stmts, "DROP TABLE "+old)
	stmts = append(stmts, rename...)
	stmts = append(stmts, post...)
	return stmts, "", nil
}
