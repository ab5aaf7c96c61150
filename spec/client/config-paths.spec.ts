import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDir, defaultIdentityPath, defaultServerDir } from '../../src/client/config-paths.js';

describe('config paths', () => {
  it('live under $XDG_CONFIG_HOME/tui-chat, else ~/.config/tui-chat', () => {
    assert.equal(configDir({ XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/x/tui-chat');
    assert.equal(configDir({ HOME: '/h' }), '/h/.config/tui-chat');
    assert.equal(defaultIdentityPath({ HOME: '/h' }), '/h/.config/tui-chat/identity.pem');
    assert.equal(defaultServerDir({ XDG_CONFIG_HOME: '/x' }), '/x/tui-chat/server');
  });

  it('ignore a relative $XDG_CONFIG_HOME, as the XDG spec says', () => {
    assert.equal(configDir({ XDG_CONFIG_HOME: 'rel', HOME: '/h' }), '/h/.config/tui-chat');
  });
});
