import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsHistory } from '../../../src/tui/top/metrics-history.js';
import { parsePrometheusText } from '../../../src/tui/top/prometheus-text.js';

describe('MetricsHistory', () => {
  it('turns counters into rates, and warns when a counter of trouble goes up', () => {
    const history = new MetricsHistory();
    const scrape = (deliveries: number, bytes: number, refused: number) =>
      parsePrometheusText(
        `tuichat_deliveries_total{kind="room"} ${deliveries}\ntuichat_sent_bytes_total ${bytes}\ntuichat_connections_refused_total{limit="max_clients"} ${refused}\n`,
      );
    assert.deepEqual(history.add(scrape(0, 0, 0), 1000), []);
    assert.deepEqual(history.add(scrape(20, 2048, 0), 3000), []);
    assert.deepEqual(history.points, [{ t: 2, deliveriesPerSecond: 10, kilobytesPerSecond: 1 }]);
    assert.deepEqual(history.add(scrape(20, 2048, 3), 4000), ['3 connections refused by a limit']);
  });
});
