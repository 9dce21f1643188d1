# netns.sh - sourced by the end-to-end tests that run real TCP stacks (after
# tests/need.sh, which says what they need to run): two network namespaces
# joined by one veth pair, and waiting for what they start.
#
# netns_pair NSC NSS VC VS: create namespaces NSC and NSS, a veth pair with VC
# in NSC and VS in NSS, and bring up both ends and both loopbacks. Addresses,
# firewall rules and sysctls are the caller's. Returns non-zero, with ip's
# error on stderr, when the kernel refuses; the caller removes what was made
# (ip netns del NSC NSS takes the veth with it).
netns_pair() {
    ip netns add "$1" && ip netns add "$2" &&
        ip link add "$3" netns "$1" type veth peer name "$4" netns "$2" &&
        ip -n "$1" link set lo up && ip -n "$2" link set lo up &&
        ip -n "$1" link set "$3" up && ip -n "$2" link set "$4" up
}

# wait_until CMD [ARG...]: run CMD every 0.1 s until it succeeds, for at most
# 5 s. Returns CMD's last status.
wait_until() {
    local _
    for _ in $(seq 49); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}

# gone PID: the process has exited (for wait_until after a signal).
gone() {
    ! kill -0 "$1" 2>/dev/null
}
