"""How many tickets wait per service, day and class (priority or not), kept by the database.

`people_ahead` of a ticket just issued counted the service's whole waiting line inside the
write (0.33 ms per 1,000 waiting on SQLite, 0.57 ms on PostgreSQL), so each ticket got slower
as the day filled (issue 17). Triggers on `tickets` keep `waiting_counts` in step with every
change of a ticket's status, service, day or class, whichever code makes it (lifecycle moves,
the midnight sweep, retention, a migration): one place to keep right, not every writer. The
same DDL runs from the migration (0015) and from `metadata.create_all` (tests, tools).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, Table, event

SQLITE_TRIGGERS = (
    """CREATE TRIGGER tr_tickets_waiting_ins AFTER INSERT ON tickets
WHEN NEW.status = 'waiting'
BEGIN
  INSERT INTO waiting_counts (service, business_date, priority, n)
  VALUES (NEW.service, NEW.business_date, NEW.priority IS NOT NULL, 1)
  ON CONFLICT (service, business_date, priority) DO UPDATE SET n = n + 1;
END""",
    """CREATE TRIGGER tr_tickets_waiting_del AFTER DELETE ON tickets
WHEN OLD.status = 'waiting'
BEGIN
  UPDATE waiting_counts SET n = n - 1
  WHERE service = OLD.service AND business_date = OLD.business_date
    AND priority = (OLD.priority IS NOT NULL);
END""",
    """CREATE TRIGGER tr_tickets_waiting_upd
AFTER UPDATE OF status, service, business_date, priority ON tickets
WHEN (OLD.status = 'waiting' OR NEW.status = 'waiting')
  AND (OLD.status IS NOT NEW.status OR OLD.service IS NOT NEW.service
       OR OLD.business_date IS NOT NEW.business_date
       OR (OLD.priority IS NULL) <> (NEW.priority IS NULL))
BEGIN
  UPDATE waiting_counts SET n = n - 1
  WHERE OLD.status = 'waiting' AND service = OLD.service
    AND business_date = OLD.business_date AND priority = (OLD.priority IS NOT NULL);
  INSERT INTO waiting_counts (service, business_date, priority, n)
  SELECT NEW.service, NEW.business_date, NEW.priority IS NOT NULL, 1
  WHERE NEW.status = 'waiting'
  ON CONFLICT (service, business_date, priority) DO UPDATE SET n = n + 1;
END""",
)
SQLITE_DROP = tuple(
    f"DROP TRIGGER IF EXISTS {name}"
    for name in ("tr_tickets_waiting_ins", "tr_tickets_waiting_del", "tr_tickets_waiting_upd")
)

PG_TRIGGERS = (
    """CREATE FUNCTION tickets_waiting_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.service = NEW.service
     AND OLD.business_date = NEW.business_date
     AND (OLD.priority IS NULL) = (NEW.priority IS NULL) THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.status = 'waiting' THEN
    UPDATE waiting_counts SET n = n - 1
    WHERE service = OLD.service AND business_date = OLD.business_date
      AND priority = (OLD.priority IS NOT NULL);
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status = 'waiting' THEN
    INSERT INTO waiting_counts (service, business_date, priority, n)
    VALUES (NEW.service, NEW.business_date, NEW.priority IS NOT NULL, 1)
    ON CONFLICT (service, business_date, priority) DO UPDATE SET n = waiting_counts.n + 1;
  END IF;
  RETURN NULL;
END $$""",
    """CREATE TRIGGER tr_tickets_waiting
AFTER INSERT OR DELETE OR UPDATE OF status, service, business_date, priority ON tickets
FOR EACH ROW EXECUTE FUNCTION tickets_waiting_count()""",
)
PG_DROP = (
    "DROP TRIGGER IF EXISTS tr_tickets_waiting ON tickets",
    "DROP FUNCTION IF EXISTS tickets_waiting_count()",
)

BACKFILL = """INSERT INTO waiting_counts (service, business_date, priority, n)
SELECT service, business_date, priority IS NOT NULL, count(*) FROM tickets
WHERE status = 'waiting' GROUP BY service, business_date, priority IS NOT NULL"""


def triggers(dialect: str) -> tuple[str, ...]:
    return SQLITE_TRIGGERS if dialect == "sqlite" else PG_TRIGGERS


def drops(dialect: str) -> tuple[str, ...]:
    return SQLITE_DROP if dialect == "sqlite" else PG_DROP


def install_on_create(tickets: Table) -> None:
    """Creating `tickets` (`metadata.create_all`) makes its triggers too; their bodies name
    waiting_counts only when they run."""
    for dialect in ("sqlite", "postgresql"):
        for statement in triggers(dialect):
            event.listen(tickets, "after_create", DDL(statement).execute_if(dialect=dialect))
        for statement in drops(dialect):
            event.listen(tickets, "before_drop", DDL(statement).execute_if(dialect=dialect))


def run_all(bind: Any, statements: tuple[str, ...]) -> None:
    for statement in statements:
        bind.exec_driver_sql(statement)
