#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-11-25-19-31-14
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	ip_proto
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	count
1795635074.119629	C1	10.99.0.1	36080	10.99.0.2	8001	tcp	-	0.241895	26	40	SF	-	-	0	ShADadFf	6	346	4	256	-	6
1795635075.108760	Cb	10.99.0.1	45198	10.99.0.2	8003	tcp	-	0.080301	0	0	REJ	-	-	0	Sr	1	60	1	40	-	6
1795635077.424420	Cd	fd99::1	44250	fd99::2	8009	tcp	-	0.243316	26	40	SF	-	-	0	ShADadFf	6	466	4	336	-	6
#close	2026-11-25-19-31-17
