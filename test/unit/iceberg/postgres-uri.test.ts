import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPostgresUri, numberPlaceholders, PostgresDriver, redactPostgresUri } from '../../../iceberg/catalog/postgres-driver.js';

describe('Postgres catalog URIs', () => {
  it('takes libpq, SQLAlchemy and JDBC spellings as Postgres, and nothing else', () => {
    for (const uri of ['postgresql://h/db', 'postgres://h/db', 'postgresql+psycopg2://u:p@h/db', 'jdbc:postgresql://h:5432/db'])
      assert.equal(isPostgresUri(uri), true, uri);
    for (const uri of ['sqlite:///x.db', 'jdbc:sqlite:/x.db', '/tmp/x.db', 'mysql://h/db', 'http://postgresql://h'])
      assert.equal(isPostgresUri(uri), false, uri);
  });

  it('hides the password wherever a URI carries it, and keeps the rest readable', () => {
    assert.equal(redactPostgresUri('postgresql://floe:s3cret@db.internal:5432/catalog'), 'postgresql://floe:***@db.internal:5432/catalog');
    assert.equal(redactPostgresUri('jdbc:postgresql://floe:s3cret@h/db'), 'jdbc:postgresql://floe:***@h/db');
    assert.equal(
      redactPostgresUri('postgresql://h/db?user=floe&password=s3cret&sslmode=require'),
      'postgresql://h/db?user=floe&password=***&sslmode=require',
    );
    assert.equal(redactPostgresUri('postgresql://floe@h/db'), 'postgresql://floe@h/db', 'no password, nothing hidden');
    assert.equal(redactPostgresUri('postgresql://h/db'), 'postgresql://h/db');
    // Unencoded / and @ in a password: hide too much rather than leak a piece.
    for (const uri of ['postgresql://floe:pa/ss@h/db', 'postgresql://floe:p@ss@h/db', 'postgresql://floe:pa:ss@h/db']) {
      const shown = redactPostgresUri(uri);
      assert.ok(!/pa|ss/.test(shown.replace('postgresql', '')), `${uri} shown as ${shown}`);
    }
  });

  it('numbers ? placeholders as $1, $2, … outside quoted literals and identifiers', () => {
    assert.equal(
      numberPlaceholders("SELECT a FROM t WHERE b = ? AND c LIKE ? ESCAPE '!' AND d = ?"),
      "SELECT a FROM t WHERE b = $1 AND c LIKE $2 ESCAPE '!' AND d = $3",
    );
    assert.equal(numberPlaceholders(`SELECT '?' AS "what?", ? AS x`), `SELECT '?' AS "what?", $1 AS x`);
  });
});

describe('Postgres catalog failures', () => {
  const driver = new PostgresDriver('postgresql://floe@127.0.0.1:1/catalog');
  const withCode = (code: string, message: string): Error => Object.assign(new Error(message), { code });

  it('a connection that breaks under a statement (a server restart, a reset) is connection-lost, not unknown', async () => {
    assert.equal(driver.classify(withCode('57P01', 'terminating connection due to administrator command')), 'connection-lost');
    assert.equal(driver.classify(withCode('57P02', 'terminating connection due to unexpected postmaster exit')), 'connection-lost');
    assert.equal(driver.classify(new Error('Connection terminated unexpectedly')), 'connection-lost');
    assert.equal(driver.classify(withCode('ECONNRESET', 'read ECONNRESET')), 'connection-lost');
    await driver.close();
  });

  it("contention is busy; a statement's own error and anything unrecognised stay as they were", () => {
    assert.equal(driver.classify(withCode('55P03', 'lock timeout')), 'busy');
    assert.equal(driver.classify(withCode('23505', 'duplicate key')), 'unique-violation');
    assert.equal(driver.classify(withCode('28P01', 'password authentication failed')), 'unknown');
    assert.equal(driver.classify(new TypeError('x is not a function')), 'unknown');
  });
});
