"""The DuckDB warehouse: posts, versions, assessments, cases and the analysts' views."""

from warehouse.records import Case, CaseDetail, StoreSummary
from warehouse.warehouse import Warehouse

__all__ = ["Case", "CaseDetail", "StoreSummary", "Warehouse"]
