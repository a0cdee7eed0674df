// Package ferry moves tables between data systems in batch: databases, files
// and in-memory fakes, full or incremental, at the speed of each system's own
// bulk path, with dirty-data control, rate limits and a report at the end.
//
// Data flows as Apache Arrow record batches. A Reader cuts its source into
// Splits and reads each as batches; a Writer prepares the destination, hands
// one BatchWriter to each worker, and commits or aborts the run as a whole; a
// Transformer changes batches in flight. A Pipeline composes them:
//
//	r, _ := ferry.OpenReader(ctx, "postgres://app@db/shop?table=orders&splitPk=id")
//	w, _ := ferry.OpenWriter(ctx, "sqlite:///tmp/orders.db?table=orders&mode=overwrite")
//	sum, err := ferry.New(r, w, &ferry.Options{Concurrency: 4}).Run(ctx)
//	fmt.Print(sum.Report())
//
// # Guarantees
//
// Reading starts first, so a source that cannot be read never touches the
// destination. After the writer's Prepare, exactly one of Commit and Abort is
// called: Commit only when every split was read and written and the
// dirty-data policy holds; Abort on any other outcome, including
// cancellation, leaves the destination as it was (or as the write mode
// promises). Memory is bounded by Concurrency × (InFlight + 2) batches,
// whatever the table size.
//
// # Errors
//
// Errors fall in classes (see Classify): cancellation stops the run; dirty
// rows (package dirty) are set aside with their reason and the policy decides;
// retryable errors (marked with Retryable by connectors) are retried with
// backoff where nothing was applied; everything else is fatal and aborts.
//
// # Connectors
//
// Connectors live in reader/<x>reader and writer/<x>writer and register a URL
// scheme when imported. Anyone can write one: implement Reader or Writer and
// prove it with the public conformance suite in package connectortest.
package ferry
