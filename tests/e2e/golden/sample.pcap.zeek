#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	conn
#open	2026-11-25-19-31-13
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	proto	service	duration	orig_bytes	resp_bytes	conn_state	local_orig	local_resp	missed_bytes	history	orig_pkts	orig_ip_bytes	resp_pkts	resp_ip_bytes	tunnel_parents	ip_proto
#types	time	string	addr	port	addr	port	enum	string	interval	count	count	string	bool	bool	count	string	count	count	count	count	set[string]	count
1795635073.840188	C1	10.99.0.1	33836	10.99.0.2	8004	tcp	-	5.125660	0	0	S0	-	-	0	S	6	360	0	0	-	6
1795635073.843979	C2	10.99.0.1	33866	10.99.0.2	8005	tcp	-	1.238812	26	40	SF	-	-	0	ShADadFf	8	458	6	376	-	6
1795635074.129776	C4	10.99.0.1	36080	10.99.0.2	8001	tcp	-	0.221726	26	40	SF	-	-	0	ShADadFf	6	346	4	256	-	6
1795635074.624165	Ce	10.99.0.1	34974	10.99.0.2	8002	tcp	-	0.161453	26	40	SF	-	-	0	ShADadfF	5	294	5	308	-	6
1795635075.118877	CB	10.99.0.1	45198	10.99.0.2	8003	tcp	-	0.060193	0	0	REJ	-	-	0	Sr	1	60	1	40	-	6
1795635075.539315	CD	10.99.0.1	48036	10.99.0.2	8006	tcp	-	0.161492	26	40	RSTO	-	-	0	ShADadR	5	294	3	204	-	6
1795635076.036500	CM	10.99.0.1	45362	10.99.0.2	8007	tcp	-	0.442004	26	40	RSTR	-	-	0	ShADadr	4	242	4	256	-	6
1795635076.835869	CU	10.99.0.1	39990	10.99.0.2	8008	tcp	-	0.241914	26	80	SF	-	-	0	ShADFadf	7	398	5	348	-	6
1795635077.434558	C17	fd99::1	44250	fd99::2	8009	tcp	-	0.223156	26	40	SF	-	-	0	ShADadFf	6	466	4	336	-	6
1795635077.935513	C1h	fd99::1	43834	fd99::2	8010	tcp	-	0.060201	0	0	REJ	-	-	0	Sr	1	80	1	60	-	6
#close	2026-11-25-19-31-18
