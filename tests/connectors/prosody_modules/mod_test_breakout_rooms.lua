-- For the tests only: Jitsi's breakout-room bookkeeping, as mod_remit relies on it.
--
-- Jitsi's own mod_muc_breakout_rooms (jitsi-meet's resources/prosody-plugins, read and not run
-- here) names a breakout room by a random UUID on the breakout component and lists it in its main
-- room's _data.breakout_rooms (breakout room JID -> subject). This module writes the same table:
-- each main room named in test_breakout_rooms (breakout room JID -> main room JID) lists its
-- breakout rooms when it is created.

local listed = module:get_option("test_breakout_rooms", {});

module:hook("muc-room-created", function (event)
	local room = event.room;
	for breakout_jid, main_jid in pairs(listed) do
		if main_jid == room.jid then
			room._data.breakout_rooms = room._data.breakout_rooms or {};
			room._data.breakout_rooms[breakout_jid] = "Breakout room";
		end
	end
end);
