import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText, sumOf } from '../../../src/tui/top/prometheus-text.js';

describe('parsePrometheusText', () => {
  it('reads samples with and without labels, and skips comments and junk', () => {
    const samples = parsePrometheusText(
      '# HELP tuichat_joins_total Joins.\n# TYPE tuichat_joins_total counter\ntuichat_joins_total 3\n' +
        'tuichat_deliveries_total{kind="room"} 5\ntuichat_deliveries_total{kind="dm"} 2 1700000000000\nnot a sample\nx NaN-ish\n',
    );
    assert.equal(samples.get('tuichat_joins_total'), 3);
    assert.equal(samples.get('tuichat_deliveries_total{kind="room"}'), 5);
    assert.equal(sumOf(samples, 'tuichat_deliveries_total'), 7);
    assert.equal(sumOf(samples, 'tuichat_deliveries'), 0, 'a prefix of another name is not that name');
  });
});
