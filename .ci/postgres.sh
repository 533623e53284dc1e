# Sourced by .ci/run (and usable by hand): starts the local PostgreSQL
# cluster, creates the test role and database, and exports
# TABELLA_TEST_POSTGRES for the store tests. Needs root and Debian's
# postgresql package.
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q online; then
  pg_lsclusters -h | grep -q . || pg_createcluster "$ver" main >/dev/null
  pg_ctlcluster "$ver" main start
fi
for i in $(seq 1 30); do
  su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='tabella'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"create role tabella login superuser password 'tabella'\""
su postgres -c "psql -qtAc \"select 1 from pg_database where datname='tabella_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O tabella tabella_test"
export TABELLA_TEST_POSTGRES="postgres://tabella:tabella@127.0.0.1:5432/tabella_test?sslmode=disable"
