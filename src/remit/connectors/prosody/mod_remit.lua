-- mod_remit: remit on a Prosody MUC component (Prosody 0.12).
--
-- Every join asks remit first (POST /v1/sessions with the occupant's IP address): remit's 451
-- refuses the join with its notice as the error text; remit's 201 lets the occupant in and puts
-- them on remit's live roster. A leave ends that session in remit (DELETE /v1/sessions/{id}).
-- remit's commands arrive as Standard Webhooks signed POSTs at this module's HTTP endpoint;
-- a removal is a standard MUC kick (role none, status 307, remit's notice as the reason).
-- Someone let in while remit was unreachable (failure policy "allow") is reported to remit by
-- the periodic sweep once it answers again, and kicked then if an order now refuses them.
--
-- Load it on the MUC component:  modules_enabled = { "remit" }  (see docs/connectors/prosody.md).
-- In a Jitsi Meet deployment, load it on the conference, lobby and breakout components and on
-- each visitor node's, with remit_main_muc naming the conference component on all but that one
-- (see docs/connectors/jitsi.md): every way into a meeting is then decided as the meeting.

local async = require "util.async";
local base64 = require "util.encodings".base64;
local hashes = require "util.hashes";
local http = require "net.http";
local jid_bare = require "util.jid".bare;
local jid_host = require "util.jid".host;
local jid_node = require "util.jid".node;
local json = require "util.json";
local promise = require "util.promise";
local st = require "util.stanza";

local remit_url = assert(module:get_option_string("remit_url"), "mod_remit needs remit_url");
remit_url = remit_url:gsub("/+$", "");
local token = assert(module:get_option_string("remit_token"), "mod_remit needs remit_token");
local secret = assert(module:get_option_string("remit_secret"), "mod_remit needs remit_secret");
local timeout = module:get_option_number("remit_timeout", 5);
local policy = module:get_option_string("remit_failure_policy", "allow");
local sweep_every = module:get_option_number("remit_sweep_interval", 60);
local exempt = module:get_option_set("remit_exempt_jids", {});
-- The component of the conference's main rooms, when this one serves other ways into them
-- (Jitsi's lobby, breakout rooms, a visitor node): joins here are decided as joins of the main room.
local main_muc = module:get_option_string("remit_main_muc");
-- Accounts of dial-in gateways (Jitsi's jigasi): their occupants are callers, located by the
-- number in their presence and never by the gateway's address.
local dial_in = module:get_option_set("remit_dial_in_jids", {});
-- How a refused join is answered: "forbidden" (type auth, XEP-0045's answer to a banned user) or
-- "not-allowed" (type cancel, whose text lib-jitsi-meet hands to the Jitsi Meet client).
local refusal_condition = module:get_option_string("remit_refusal_condition", "forbidden");
local tolerance = 300; -- seconds a webhook's timestamp may differ from our clock (the spec's 5 min)

assert(policy == "allow" or policy == "deny", "remit_failure_policy must be \"allow\" or \"deny\"");
assert(refusal_condition == "forbidden" or refusal_condition == "not-allowed",
	"remit_refusal_condition must be \"forbidden\" or \"not-allowed\"");
local key = base64.decode((secret:gsub("^whsec_", "")));
assert(key and #key > 0, "remit_secret must be the whsec_ secret remit showed");

module:depends("muc");
module:depends("http");

-- The MUC room of a room JID on any component of this Prosody (the one this module is loaded on,
-- or another: a removal may arrive at the conference component for a breakout room's occupant).
local function room_by_jid(room_jid)
	local host = prosody.hosts[jid_host(room_jid) or ""];
	local service = host and host.modules.muc;
	return service and service.get_room_from_jid(room_jid) or nil;
end

-- The remit sessions of the occupants, shared by this module's instances on every component of
-- this Prosody (so that any of them carries out a removal remit sends to its one URL), and kept in
-- the storage of the room's component (one entry per room), so that sessions whose occupants
-- vanished in a restart are ended in remit when the module loads again.
-- rooms[room JID][session id] = { jid = occupant's full real JID, gone = true once they left }
local rooms = module:shared("/*/remit/rooms");
local room_of = module:shared("/*/remit/room_of"); -- session id -> room JID
local stores = {};

local function store_of(host)
	if not stores[host] then
		stores[host] = module:context(host):open_store("remit_sessions", "keyval");
	end
	return stores[host];
end

local function save(room_jid)
	local of_room = rooms[room_jid];
	local stored = nil;
	if of_room and next(of_room) ~= nil then
		stored = {};
		for id, s in pairs(of_room) do stored[id] = { jid = s.jid; gone = s.gone }; end
	else
		rooms[room_jid] = nil;
	end
	local ok, err = store_of(jid_host(room_jid)):set(room_jid, stored);
	if not ok then module:log("error", "could not store remit sessions of %s: %s", room_jid, err); end
end

local function track(room_jid, id, s)
	rooms[room_jid] = rooms[room_jid] or {};
	rooms[room_jid][id] = s;
	room_of[id] = room_jid;
end

-- The occupants let in undecided (remit unreachable at their join, failure policy "allow"), kept
-- the same way (by this component only), until the sweep has reported them to remit or they left.
-- undecided[room JID][occupant's full real JID] = the participant as remit is told of them
local undecided = {};
local undecided_store = module:open_store("remit_undecided", "keyval");

local function save_undecided(room_jid)
	local of_room = undecided[room_jid];
	local stored = nil;
	if of_room and next(of_room) ~= nil then
		stored = {};
		for real_jid, u in pairs(of_room) do
			stored[real_jid] = { id = u.id; ip = u.ip; phone = u.phone; language = u.language };
		end
	else
		undecided[room_jid] = nil;
	end
	local ok, err = undecided_store:set(room_jid, stored);
	if not ok then
		module:log("error", "could not store the undecided occupants of %s: %s", room_jid, err);
	end
end

local function hold(room_jid, real_jid, u)
	undecided[room_jid] = undecided[room_jid] or {};
	undecided[room_jid][real_jid] = u;
end

-- Forget an undecided occupant (only the entry ``u``, when given: not a newer one of theirs).
local function forget(room_jid, real_jid, u)
	local of_room = undecided[room_jid];
	if not (of_room and of_room[real_jid]) or (u and of_room[real_jid] ~= u) then return; end
	of_room[real_jid] = nil;
	save_undecided(room_jid);
end

local function session(id)
	local room_jid = room_of[id];
	return room_jid and rooms[room_jid] and rooms[room_jid][id], room_jid;
end

-- One request to remit; a promise of the response, rejected on a transport error or timeout.
local function call(method, path, body)
	local request = http.request(remit_url .. path, {
		method = method;
		body = body and json.encode(body) or nil;
		headers = {
			["Authorization"] = "Bearer " .. token;
			["Content-Type"] = "application/json";
			["Accept"] = "application/json, application/problem+json";
		};
	});
	return promise.new(function (resolve, reject)
		local timer = module:add_timer(timeout, function () reject("timed out"); end);
		request:next(function (response)
			timer:stop();
			resolve(response);
		end, function (err)
			timer:stop();
			reject(err);
		end);
	end);
end

local function describe(err)
	-- net.http's errors keep only known causes (a refused connection is not one of them)
	if type(err) == "table" then return err.text or "no connection"; end
	return tostring(err);
end

-- End a session in remit; forget it once remit has (or never knew it). Failures stay for the sweep.
local function end_session(id)
	local s, room_jid = session(id);
	if not s or s.ending then return; end
	s.ending = true;
	if not s.gone then
		s.gone = true;
		save(room_jid);
	end
	call("DELETE", "/v1/sessions/" .. id):next(function (response)
		s.ending = nil;
		if response.code == 404 or (response.code >= 200 and response.code < 300) then
			if session(id) == s then
				rooms[room_jid][id], room_of[id] = nil, nil;
				save(room_jid);
			end
		else
			module:log("warn", "remit answered %d to ending session %s; will retry", response.code, id);
		end
	end, function (err)
		s.ending = nil;
		module:log("warn", "could not end session %s in remit (%s); will retry", id, describe(err));
	end);
end

local function still_in(room_jid, real_jid)
	local room = room_by_jid(room_jid);
	return room ~= nil and room:get_occupant_by_real_jid(real_jid) ~= nil;
end

-- End the sessions of a room whose occupants are no longer in it (left, kicked, lost in a restart),
-- and forget its undecided occupants who left: there is nothing to report about them any more.
local function end_departed(room_jid)
	local departed = {};
	for id, s in pairs(rooms[room_jid] or {}) do
		if s.gone or not still_in(room_jid, s.jid) then departed[#departed + 1] = id; end
	end
	for _, id in ipairs(departed) do end_session(id); end
	local left = {};
	for real_jid in pairs(undecided[room_jid] or {}) do
		if not still_in(room_jid, real_jid) then left[#left + 1] = real_jid; end
	end
	for _, real_jid in ipairs(left) do forget(room_jid, real_jid); end
end

-- The meeting's host, as remit's orders name hosts: the room's owner (its creator, unless the
-- owners were changed), leaving out exempt service accounts such as Jitsi's focus.
local function owner_of(room)
	local owners = {};
	for jid in room:each_affiliation("owner") do
		if not exempt:contains(jid) then owners[#owners + 1] = jid; end
	end
	table.sort(owners);
	return owners[1];
end

-- The main room's JID for a room of this component. Without remit_main_muc, the room itself.
-- A Jitsi lobby room knows its main room (main_room_jid); a breakout room is listed in its main
-- room's _data.breakout_rooms (when the main component runs on this Prosody); a visitor node's
-- room, and a lobby room, have the main room's name.
local breakout_of = {}; -- breakout room JID -> main room JID, once found

local function main_room_of(room)
	if not main_muc or jid_host(room.jid) == main_muc then return room.jid; end
	if type(room.main_room_jid) == "string" then return room.main_room_jid; end
	local found = breakout_of[room.jid];
	if found then return found; end
	local host = prosody.hosts[main_muc];
	local service = host and host.modules.muc;
	if service then
		for main in service.each_room(true) do
			local listed = main._data and main._data.breakout_rooms;
			if type(listed) == "table" and listed[room.jid] ~= nil then
				breakout_of[room.jid] = main.jid;
				return main.jid;
			end
		end
	end
	return jid_node(room.jid) .. "@" .. main_muc;
end

module:hook("muc-room-destroyed", function (event) breakout_of[event.room.jid] = nil; end);

-- What remit's orders target for a join to ``room``: the meeting, and its host.
local function resource_of(room)
	local meeting = main_room_of(room);
	local main = meeting ~= room.jid and room_by_jid(meeting) or room;
	return { type = "meeting"; id = meeting; host = main and owner_of(main) or nil };
end

-- A caller's number as remit reads it (+ and the country code, digits, spaces, ().-), from what a
-- gateway shows: "+86 138 0013 8000", "sip:+8613800138000@trunk", "tel:+85221234567".
local function phone_number(text)
	if type(text) ~= "string" then return nil; end
	local number = text:gsub("^%s*[%a]+:", ""):gsub("@.*$", ""):gsub("^%s+", ""):gsub("%s+$", "");
	if number:match("^%+%d[%d%s%(%)%.%-]*%d$") and #number <= 41 then return number; end
	return nil;
end

-- The language a browser asks for (the Accept-Language of its BOSH or WebSocket request): the
-- tag of the highest weight. Strophe, the XMPP library of Jitsi Meet's web client, opens every
-- BOSH stream with xml:lang "en", whatever its user reads.
local function preferred_language(header)
	if type(header) ~= "string" then return nil; end
	local best, best_q;
	for item in header:gmatch("[^,]+") do
		local tag, params = item:match("^%s*([%w%-_]+)%s*(.*)$");
		if tag then
			local q = tonumber(params:match("[qQ]%s*=%s*([%d%.]+)") or "1") or 0;
			if q > 0 and (best_q == nil or q > best_q) then best, best_q = tag, q; end
		end
	end
	return best and best:sub(1, 35) or nil;
end

local function remember_language(event)
	local request = event.request;
	local language = request and preferred_language(request.headers.accept_language);
	if language then event.session.remit_accept_language = language; end
end

-- mod_websocket and mod_bosh are global modules: their new sessions are global events.
module:hook_global("websocket-session", remember_language);
module:hook_global("bosh-session", remember_language);

-- The participant as remit is told of them: who, and the signals of where they are. A dial-in
-- gateway's occupant is the caller: their number (the nickname the gateway shows), never the
-- gateway's address; one gateway account carries every call, so the occupant's full JID names
-- the caller. The language: the join's xml:lang, unless it is Prosody's default ("en", which
-- its stream parser gives every stanza whose stream named none), which the browser's
-- Accept-Language overrides.
local function language_of(stanza, origin)
	local given = stanza.attr["xml:lang"] or origin.lang;
	if given and given ~= "en" then return given; end
	return origin.remit_accept_language or given;
end

local function participant_of(event)
	local stanza, origin = event.stanza, event.origin;
	local real_jid = stanza.attr.from;
	local language = language_of(stanza, origin);
	if dial_in:contains(jid_bare(real_jid)) then
		local nick = stanza:get_child_text("nick", "http://jabber.org/protocol/nick");
		return { id = real_jid; phone = phone_number(nick); language = language };
	end
	return { id = jid_bare(real_jid); ip = origin.ip; language = language };
end

local function refuse(event, condition_type, condition, text, language)
	local reply = st.error_reply(event.stanza, condition_type, condition, text, event.room.jid);
	local err = reply:get_child("error");
	local text_el = err and err:get_child("text", "urn:ietf:params:xml:ns:xmpp-stanzas");
	if text_el and language then text_el.attr["xml:lang"] = language; end
	event.origin.send(reply);
	return true;
end

local function unreachable(event, why, participant)
	module:log("warn", "remit unreachable for a join to %s (%s): failure policy %s",
		event.room.jid, why, policy);
	if policy == "deny" then
		return refuse(event, "wait", "service-unavailable",
			"This meeting cannot be joined right now. Please try again later.");
	end
	-- Let in undecided: remembered until the sweep has reported them to remit.
	hold(event.room.jid, event.stanza.attr.from, participant);
	save_undecided(event.room.jid);
end

-- Ask remit about a join; a caller's number remit cannot read (422 naming it) leaves the caller
-- unlocated rather than undecided: asked again without it.
local function ask(resource, participant)
	local response, err = async.wait_for(call("POST", "/v1/sessions", {
		resource = resource; participant = participant;
	}));
	if response and response.code == 422 and participant.phone
		and (response.body or ""):find("participant.phone", 1, true) then
		module:log("warn", "remit cannot read the caller number of %s; deciding without it",
			participant.id);
		participant.phone = nil;
		return ask(resource, participant);
	end
	return response, err;
end

module:hook("muc-occupant-pre-join", function (event)
	local room, stanza = event.room, event.stanza;
	local real_jid = stanza.attr.from;
	if exempt:contains(jid_bare(real_jid)) then return; end
	local participant = participant_of(event);
	if not async.ready() then
		return unreachable(event, "the join is not in an async context", participant);
	end
	local response, err = ask(resource_of(room), participant);
	if not response then return unreachable(event, describe(err), participant); end
	local body = json.decode(response.body or "") or {};
	if response.code == 451 then
		module:log("info", "remit refused %s entry to %s", real_jid, room.jid);
		local condition_type = refusal_condition == "forbidden" and "auth" or "cancel";
		return refuse(event, condition_type, refusal_condition,
			body.detail or body.title or "Refused by remit", body.language);
	elseif response.code == 201 and type(body.id) == "string" then
		track(room.jid, body.id, { jid = real_jid });
		save(room.jid);
		forget(room.jid, real_jid); -- a stale entry of an earlier, undecided join
	else
		return unreachable(event, "remit answered " .. tostring(response.code), participant);
	end
end, -100); -- after Prosody's own checks (bans, nicknames, members-only, passwords)

module:hook("muc-occupant-left", function (event)
	end_departed(event.room.jid);
end);

-- Webhooks ---------------------------------------------------------------------------------

local function signed(request)
	local headers = request.headers; -- Prosody's: lower case, "-" as "_"
	local id, stamp, given = headers.webhook_id, headers.webhook_timestamp,
		headers.webhook_signature;
	if not (id and stamp and given and tonumber(stamp)) then return nil, "unsigned"; end
	if math.abs(os.time() - tonumber(stamp)) > tolerance then return nil, "stale"; end
	local content = id .. "." .. stamp .. "." .. (request.body or "");
	local expected = "v1," .. base64.encode(hashes.hmac_sha256(key, content));
	for signature in given:gmatch("%S+") do
		if #signature == #expected and hashes.equals(signature, expected) then return true; end
	end
	return nil, "bad signature";
end

local function reason_of(notice)
	if type(notice) ~= "table" then return nil; end
	if notice.title and notice.body then return notice.title .. "\n\n" .. notice.body; end
	return notice.body or notice.title;
end

-- Remove one occupant's session: a kick (role none, status 307) when it is the occupant's only
-- session; otherwise only that session leaves, so another device stays (it may be elsewhere).
local function kick(room, real_jid, reason)
	local occupant = room:get_occupant_by_real_jid(real_jid);
	local others = 0;
	for session_jid in occupant:each_session() do
		if session_jid ~= real_jid then others = others + 1; end
	end
	if others == 0 then
		return room:set_role(true, occupant.nick, "none", reason);
	end
	local x = st.stanza("x", { xmlns = "http://jabber.org/protocol/muc#user" })
		:tag("item", { affiliation = room:get_affiliation(real_jid) or "none"; role = "none" })
		:tag("reason"):text(reason):up():up()
		:tag("status", { code = "307" }):up()
		:tag("status", { code = "110" }):up();
	room:route_stanza(st.presence({ from = occupant.nick; to = real_jid; type = "unavailable" })
		:add_child(x));
	occupant:remove_session(real_jid);
	room:save_occupant(occupant);
	return true;
end

local function remove(data)
	local s, tracked_room = session(data.session_id);
	if not s then
		local room_jid = type(data.resource) == "table" and data.resource.id;
		-- Not ours (yet): the join that made it may still be completing; gone if no one of that
		-- participant is in the room.
		local room = room_jid and room_by_jid(room_jid);
		local participant = type(data.participant) == "table" and data.participant.id;
		if room then
			for _, occupant in room:each_occupant() do
				if occupant.bare_jid == participant then return 503; end
			end
		end
		return 204;
	end
	local room = room_by_jid(tracked_room);
	if not (room and room:get_occupant_by_real_jid(s.jid)) then
		end_session(data.session_id);
		return 204;
	end
	local ok, err_type, condition = kick(room, s.jid, reason_of(data.notice) or "Removed by remit");
	if not ok then
		module:log("error", "could not remove %s from %s: %s %s", s.jid, tracked_room, err_type,
			condition);
		return 500;
	end
	module:log("info", "removed %s from %s on remit's order %s", s.jid, tracked_room,
		tostring(data.order_id));
	end_session(data.session_id);
	return 204;
end

-- Tell the host: a message from the room to the owner's account (stored offline when away).
local function tell_host(data)
	local host = type(data.host) == "table" and data.host.id;
	local room_jid = type(data.resource) == "table" and data.resource.id;
	local text = reason_of(data.notice);
	if not (host and room_jid and text) then return 422; end
	module:send(st.message({ from = room_jid; to = host; type = "normal" })
		:tag("subject"):text(data.notice.title or ""):up()
		:tag("body"):text(data.notice.body or text):up());
	return 204;
end

local function handle_command(event)
	local request, response = event.request, event.response;
	local ok, why = signed(request);
	if not ok then
		module:log("warn", "refused a webhook: %s", why);
		return 401;
	end
	local command = json.decode(request.body or "");
	if type(command) ~= "table" or type(command.data) ~= "table" then return 400; end
	local status;
	if command.type == "participant.remove" then
		status = remove(command.data);
	elseif command.type == "host.notice" then
		status = tell_host(command.data);
	elseif command.type == "participant.readmit" then
		status = 204; -- their next join is decided afresh
	else
		module:log("warn", "unknown remit command %s", tostring(command.type));
		status = 422;
	end
	response.status_code = status;
	return "";
end

module:provides("http", {
	route = {
		["POST /commands"] = handle_command;
	};
});

-- Reporting the undecided ----------------------------------------------------------------

-- remit's answer to the report of an occupant let in undecided: a 201 puts them on the roster
-- (so a later order removes them like anyone else); a 451 means an order is in force where they
-- are, and they are removed as a removal does (a kick with remit's notice as the reason).
local function reported(room_jid, real_jid, u, response)
	local body = json.decode(response.body or "") or {};
	if response.code == 201 and type(body.id) == "string" then
		forget(room_jid, real_jid, u);
		track(room_jid, body.id, { jid = real_jid });
		save(room_jid);
		module:log("info", "reported %s in %s to remit (let in while remit was unreachable)",
			real_jid, room_jid);
		if not still_in(room_jid, real_jid) then end_session(body.id); end
	elseif response.code == 451 then
		local room = room_by_jid(room_jid);
		if not (room and room:get_occupant_by_real_jid(real_jid)) then
			forget(room_jid, real_jid, u);
			return;
		end
		local reason = reason_of({ title = body.title; body = body.detail }) or "Removed by remit";
		local ok, err_type, condition = kick(room, real_jid, reason);
		if not ok then
			module:log("error", "could not remove %s from %s: %s %s; will retry", real_jid, room_jid,
				err_type, condition);
			return;
		end
		forget(room_jid, real_jid, u);
		module:log("info", "removed %s from %s: let in while remit was unreachable, refused by remit",
			real_jid, room_jid);
	else
		module:log("warn", "remit answered %d to reporting %s in %s; will retry", response.code,
			real_jid, room_jid);
	end
end

-- Report the undecided occupants still present, one request at a time; a pass stops at the
-- first transport failure (remit still unreachable) and the next sweep starts again.
local reporting = false;

local function report_undecided()
	if reporting then return; end
	local queue = {};
	for room_jid, of_room in pairs(undecided) do
		for real_jid in pairs(of_room) do queue[#queue + 1] = { room_jid, real_jid }; end
	end
	if #queue == 0 then return; end
	reporting = true;
	local i = 0;
	local function report_next()
		i = i + 1;
		local item = queue[i];
		if not item then
			reporting = false;
			return;
		end
		local room_jid, real_jid = item[1], item[2];
		local u = undecided[room_jid] and undecided[room_jid][real_jid];
		local room = room_by_jid(room_jid);
		if not u then return report_next(); end
		if not (room and room:get_occupant_by_real_jid(real_jid)) then
			forget(room_jid, real_jid, u);
			return report_next();
		end
		call("POST", "/v1/sessions", {
			resource = resource_of(room);
			participant = { id = u.id or jid_bare(real_jid); ip = u.ip; phone = u.phone;
				language = u.language };
		}):next(function (response)
			local ok, err = pcall(reported, room_jid, real_jid, u, response);
			if not ok then module:log("error", "reporting %s in %s: %s", real_jid, room_jid, err); end
			report_next();
		end, function (err)
			reporting = false;
			module:log("warn", "remit still unreachable (%s): %d undecided join(s) wait for the next "
				.. "sweep", describe(err), #queue - i + 1);
		end);
	end
	report_next();
end

-- Every remit_sweep_interval seconds: end the sessions of departed occupants, report the
-- undecided ones.
local function sweep()
	local room_jids = {};
	for room_jid in pairs(rooms) do -- shared: each component sweeps its own rooms
		if jid_host(room_jid) == module.host then room_jids[#room_jids + 1] = room_jid; end
	end
	for room_jid in pairs(undecided) do
		if not rooms[room_jid] then room_jids[#room_jids + 1] = room_jid; end
	end
	for _, room_jid in ipairs(room_jids) do end_departed(room_jid); end
	local ok, err = pcall(report_undecided);
	if not ok then
		reporting = false;
		module:log("error", "reporting undecided joins: %s", err);
	end
	return sweep_every;
end

-- Start: load the sessions and undecided occupants stored before a restart (or a reload of this
-- module); end the sessions whose occupants are gone, report the undecided still present.
function module.load()
	local store = store_of(module.host);
	for room_jid in store:users() do
		for id, s in pairs(store:get(room_jid) or {}) do
			track(room_jid, id, { jid = s.jid; gone = s.gone });
		end
	end
	for room_jid in undecided_store:users() do
		for real_jid, u in pairs(undecided_store:get(room_jid) or {}) do
			hold(room_jid, real_jid, { id = u.id; ip = u.ip; phone = u.phone; language = u.language });
		end
	end
	module:add_timer(0, sweep);
end
