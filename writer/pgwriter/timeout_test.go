package pgwriter_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/reader/pgreader"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

// TestSilentServer: against a server that accepts TCP and never answers,
// pgreader.Open and pgwriter's Prepare and PrepareStage fail after the
// connect timeout with an error naming host and port, instead of hanging.
func TestSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	addr := ln.Addr().String()
	url := "postgres://u@" + addr + "/db?sslmode=disable&connect_timeout=1&table=t"
	guard, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	check := func(what string, err error) {
		t.Helper()
		if guard.Err() != nil {
			t.Fatalf("%s hung until the test's guard", what)
		}
		if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "timeout") {
			t.Errorf("%s: %v, want a timeout naming %s", what, err, addr)
		}
	}
	_, err = ferry.DefaultURLMux().OpenReader(guard, url)
	check("pgreader", err)
	wc, err := pgwriter.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pgwriter.New(wc)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	b := oneBatch(nil, "id")
	defer b.Release()
	check("pgwriter Prepare", w.Prepare(guard, b.Schema()))
	w2, _ := pgwriter.New(wc)
	defer w2.Close()
	check("pgwriter PrepareStage", w2.PrepareStage(guard, ferry.NewRunID(), b.Schema()))
	// and the reader's URL takes readTimeout
	if _, err := pgreader.ParseConfig("postgres://u@h/db?table=t&readTimeout=bogus"); err == nil || !strings.Contains(err.Error(), "readTimeout") {
		t.Errorf("readTimeout=bogus: %v", err)
	}
	// a stall on a live server: readTimeout fails it
	stall, err := pgwriter.ParseConfig(dsn("table=ferry_stall_t&readTimeout=300ms&preSql=SELECT%20pg_sleep(3)"))
	if err != nil {
		t.Fatal(err)
	}
	w3, _ := pgwriter.New(stall)
	defer w3.Close()
	if err := w3.Prepare(guard, b.Schema()); err == nil || !strings.Contains(err.Error(), "readTimeout") {
		t.Errorf("a 3 s statement with readTimeout=300ms: %v", err)
	}
	// malformed query pairs name the parameter
	for _, u := range []string{"postgres://u@h/db?table=t&preSql=SELECT%ZZ", "postgres://u@h/db?table=t&mode=upsert;x=1"} {
		if _, err := pgwriter.ParseConfig(u); err == nil || !strings.Contains(err.Error(), "parameter") {
			t.Errorf("%s: %v, want an error naming the parameter", u, err)
		}
	}
}
