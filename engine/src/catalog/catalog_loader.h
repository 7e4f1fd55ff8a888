// LoadCatalog: fills a fresh CaseDirectory and the indexes from the catalog's
// rows when it opens: the RowStore's one-snapshot scan of cases, items and
// indexed signals (hashes copied straight into one buffer), then one bulk
// add per index. Hashes of withdrawn cases and below the quality minimum are
// skipped.
//
// Thread safety: call before the catalog is shared.
#ifndef HASHWATCH_CATALOG_CATALOG_LOADER_H_
#define HASHWATCH_CATALOG_CATALOG_LOADER_H_

#include "absl/status/status.h"
#include "catalog/case_directory.h"
#include "catalog/index_batch.h"
#include "catalog/row_store.h"
#include "catalog/sqlite_db.h"

namespace hashwatch::catalog {

struct LoadResult {
  double read_seconds = 0;   // SQLite scans
  double index_seconds = 0;  // PdqIndex::Add
  // Where the load stands in others' changes: Catalog::Refresh reads what
  // came after it.
  ChangeCursor cursor;
  // Stored embeddings of another model than the catalog's: not indexed.
  int64_t foreign_embeddings = 0;
};

// The largest item id, once the ids have been checked: the in-memory tables
// are indexed by item id, so ids below 1, or far above the number of items
// (SQLite hands out rowids densely: only a damaged or edited file has such
// gaps), are DataLoss instead of a huge allocation.
absl::StatusOr<int64_t> CheckedMaxItemId(SqliteDb* db);

// DataLoss when a stored row is malformed (a PDQ hash that is not 32 bytes,
// an item of an unknown case). `embedding_model`: IndexBatch's.
absl::Status LoadCatalog(RowStore* rows, int index_min_quality, uint32_t embedding_model,
                         CaseDirectory* directory, CatalogIndexes* indexes, LoadResult* result);

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_CATALOG_LOADER_H_
