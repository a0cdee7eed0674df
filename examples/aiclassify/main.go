// Command aiclassify reads a CSV file of product descriptions, asks a chat
// model for each product's category (structured output: one of a fixed list,
// several products per request), embeds name and description into a
// vector, and writes the result to Parquet and, when -pg is given, to a
// PostgreSQL table (real[] vectors). The second destination is loaded from
// the answer cache: it makes no API call at all.
//
//	export OPENAI_API_KEY=sk-...
//	go run ./examples/aiclassify -csv products.csv -parquet products.parquet \
//	    -pg 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
//	# a local model server (Ollama) instead of OpenAI:
//	go run ./examples/aiclassify -base-url http://127.0.0.1:11434/v1 \
//	    -chat-model llama3.1 -embed-model nomic-embed-text
//
// Without -csv a demo file of a dozen products is used. Rows whose answer is
// not one of the categories are dirty rows, tolerated up to -maxdirty.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/dirty"
	"github.com/ferrydata/ferry/reader/csvreader"
	"github.com/ferrydata/ferry/transform/embed"
	"github.com/ferrydata/ferry/transform/llm"
	"github.com/ferrydata/ferry/transform/llm/openai"
	"github.com/ferrydata/ferry/writer/parquetwriter"
	"github.com/ferrydata/ferry/writer/pgwriter"
)

const demoCSV = `id,name,description
1,Trail Runner 2,"Lightweight running shoe with a grippy sole for muddy trails"
2,Aurora X5,"Smartphone with a 6.5 inch OLED screen, 128 GB storage and dual cameras"
3,Nordic Oak Table,"Solid oak dining table for six people, oiled finish"
4,Peak Down Jacket,"Warm down jacket with a hood, packs into its own pocket"
5,Pulse Buds,"Wireless earbuds with noise cancelling and a charging case"
6,Barista Pro,"Espresso machine with a steam wand and a built-in grinder"
7,City Sneaker,"Leather sneaker for everyday wear, white"
8,Atlas Lamp,"Adjustable desk lamp with a warm LED light"
9,Summit Backpack,"40 litre hiking backpack with a rain cover"
10,Volt Charger,"65 W USB-C charger for laptops and phones"
11,Linen Shirt,"Breathable linen shirt, long sleeves"
12,Cast Iron Pan,"Pre-seasoned cast iron frying pan, 28 cm"
`

// Categories are the answers the model may give.
var Categories = []string{"footwear", "clothing", "electronics", "furniture", "kitchen", "outdoor", "other"}

// Config is what main passes to run.
type Config struct {
	CSV, Parquet, PG, Table string
	BaseURL, KeyEnv         string
	ChatModel, EmbedModel   string
	Dim, BatchRows          int
	Cache                   string
	MaxDirty                int64
}

func main() {
	var c Config
	flag.StringVar(&c.CSV, "csv", "", "CSV file with id,name,description (default: a demo file)")
	flag.StringVar(&c.Parquet, "parquet", "products.parquet", "Parquet output file")
	flag.StringVar(&c.PG, "pg", "", "PostgreSQL URL to load too (empty: Parquet only)")
	flag.StringVar(&c.Table, "table", "products_ai", "PostgreSQL table (created, overwritten)")
	flag.StringVar(&c.BaseURL, "base-url", os.Getenv("OPENAI_BASE_URL"), "OpenAI-compatible API root (default OpenAI)")
	flag.StringVar(&c.KeyEnv, "key-env", "", "environment variable holding the API key (default OPENAI_API_KEY, if set)")
	flag.StringVar(&c.ChatModel, "chat-model", "gpt-4o-mini", "chat model")
	flag.StringVar(&c.EmbedModel, "embed-model", "text-embedding-3-small", "embedding model")
	flag.IntVar(&c.Dim, "dim", 0, "embedding dimension (0: ask the API once)")
	flag.IntVar(&c.BatchRows, "batch", 8, "products per chat request")
	flag.StringVar(&c.Cache, "cache", "", "answer cache file (default: the user cache directory; off disables)")
	flag.Int64Var(&c.MaxDirty, "maxdirty", 10, "rows with a bad answer tolerated")
	flag.Parse()
	sums, err := run(context.Background(), c)
	for _, s := range sums {
		fmt.Print(s.Report())
	}
	if err != nil {
		log.Fatal(err)
	}
}

// run loads c.CSV into each destination in turn and returns the summaries,
// with the AI transforms' token and cache accounts in their Notes.
func run(ctx context.Context, c Config) ([]*ferry.Summary, error) {
	if c.CSV == "" {
		dir, err := os.MkdirTemp("", "aiclassify")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		c.CSV = filepath.Join(dir, "products.csv")
		if err := os.WriteFile(c.CSV, []byte(demoCSV), 0o644); err != nil {
			return nil, err
		}
	}
	dests := []func() (ferry.Writer, error){func() (ferry.Writer, error) {
		return parquetwriter.Open(ctx, parquetwriter.Config{Path: c.Parquet, Mode: ferry.ModeOverwrite})
	}}
	if c.PG != "" {
		dests = append(dests, func() (ferry.Writer, error) {
			return pgwriter.New(pgwriter.Config{ConnString: c.PG, Table: c.Table, Mode: ferry.ModeOverwrite, Create: true})
		})
	}
	var sums []*ferry.Summary
	for _, open := range dests {
		sum, err := load(ctx, c, open)
		if sum != nil {
			sums = append(sums, sum)
		}
		if err != nil {
			return sums, err
		}
	}
	return sums, nil
}

func load(ctx context.Context, c Config, open func() (ferry.Writer, error)) (*ferry.Summary, error) {
	r, err := csvreader.Open(ctx, csvreader.Config{Path: c.CSV})
	if err != nil {
		return nil, err
	}
	classify, err := llm.New(llm.Config{
		API:   openai.API{BaseURL: c.BaseURL, APIKeyEnv: c.KeyEnv},
		Model: c.ChatModel, Cache: c.Cache, BatchRows: c.BatchRows,
		System: "You classify products of an online shop.",
		Prompt: "Product: {{.name}}\nDescription: {{.description}}\nWhich category is it?",
		Columns: []llm.Column{{Name: "category", Enum: Categories,
			Description: "the shop category: " + strings.Join(Categories, ", ")}},
		PriceInputPerMillion: 0.15, PriceOutputPerMillion: 0.60, // gpt-4o-mini's list prices, USD
	})
	if err != nil {
		r.Close()
		return nil, err
	}
	vectorize, err := embed.New(embed.Config{
		API:   openai.API{BaseURL: c.BaseURL, APIKeyEnv: c.KeyEnv},
		Model: c.EmbedModel, Dim: c.Dim, Cache: c.Cache,
		Columns: []string{"name", "description"}, PricePerMillion: 0.02,
	})
	if err != nil {
		r.Close()
		classify.Close()
		return nil, err
	}
	w, err := open()
	if err != nil {
		r.Close()
		classify.Close()
		vectorize.Close()
		return nil, err
	}
	// The engine puts the transforms' Notes (tokens, cache hits, cost)
	// into the Summary.
	return ferry.New(r, w, &ferry.Options{
		Transformers: []ferry.Transformer{classify, vectorize},
		Dirty:        dirty.TolerateRows(c.MaxDirty),
	}).Run(ctx)
}
