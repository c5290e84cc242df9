lfd-robot 1
# lfd robot description for h1.xml (format: docs/robots.md).
#
# Sources:
#  [U] unitreerobotics/unitree_ros robots/h1_description/urdf/h1.urdf: joint
#      names and order, velocity limits (<limit velocity=>, rad/s) and torque
#      limits (<limit effort=>, N m; the MJCF actuators hold the same values).
#  [G] LeCAR-Lab/human2humanoid (H2O) legged_gym/envs/h1/h1_teleop_config.py:
#      H1 PD gains kp/kd: hips 200/5, knee 300/6, ankle 40/2, torso 300/6,
#      shoulders and elbow 100/2 (N m/rad, N m s/rad).  docs/robots.md says
#      how they were checked in MuJoCo.
#  [R] unitreerobotics/unitree_rl_gym legged_gym/envs/h1/h1_config.py
#      default_joint_angles: hip pitch -0.4, knee 0.8, ankle -0.4, rest 0.
#  [M] google-deepmind/mujoco_menagerie unitree_h1/h1.xml: foot contact
#      extents and the fist position 0.28 m along the forearm.
#  Ranges are the MJCF's ([U]); no acceleration limits are published.

name h1
mjcf h1.xml
source Unitree H1 (19 DoF), limits from unitreerobotics/unitree_ros h1_description

# joint  NAME                     vel[U]     torque[U]   kp/kd[G]        default[R]
joint left_hip_yaw_joint          vel=23     torque=200  kp=200 kd=5     default=0
joint left_hip_roll_joint         vel=23     torque=200  kp=200 kd=5     default=0
joint left_hip_pitch_joint        vel=23     torque=200  kp=200 kd=5     default=-0.4
joint left_knee_joint             vel=14     torque=300  kp=300 kd=6     default=0.8
joint left_ankle_joint            vel=9      torque=40   kp=40  kd=2     default=-0.4
joint right_hip_yaw_joint         vel=23     torque=200  kp=200 kd=5     default=0
joint right_hip_roll_joint        vel=23     torque=200  kp=200 kd=5     default=0
joint right_hip_pitch_joint       vel=23     torque=200  kp=200 kd=5     default=-0.4
joint right_knee_joint            vel=14     torque=300  kp=300 kd=6     default=0.8
joint right_ankle_joint           vel=9      torque=40   kp=40  kd=2     default=-0.4
joint torso_joint                 vel=23     torque=200  kp=300 kd=6     default=0
joint left_shoulder_pitch_joint   vel=9      torque=40   kp=100 kd=2     default=0
joint left_shoulder_roll_joint    vel=9      torque=40   kp=100 kd=2     default=0
joint left_shoulder_yaw_joint     vel=20     torque=18   kp=100 kd=2     default=0
joint left_elbow_joint            vel=20     torque=18   kp=100 kd=2     default=0
joint right_shoulder_pitch_joint  vel=9      torque=40   kp=100 kd=2     default=0
joint right_shoulder_roll_joint   vel=9      torque=40   kp=100 kd=2     default=0
joint right_shoulder_yaw_joint    vel=20     torque=18   kp=100 kd=2     default=0
joint right_elbow_joint           vel=20     torque=18   kp=100 kd=2     default=0

# feet: sole rectangle x_min,x_max,y_min,y_max and sole height z in the
# ankle link frame (the box geoms of h1.xml, after [M])
foot left  body=left_ankle_link   sole=-0.05,0.15,-0.04,0.04  z=-0.07
foot right body=right_ankle_link  sole=-0.05,0.15,-0.04,0.04  z=-0.07
# hands: H1 has no wrist; the hand point is the fist ([M])
hand left  body=left_elbow_link   offset=0.28,0,-0.015
hand right body=right_elbow_link  offset=0.28,0,-0.015

# self-collision pairs not to check besides parent/child (the shoulder
# pitch links carry no geometry, so the roll links sit next to the torso)
exclude torso_link left_shoulder_roll_link
exclude torso_link right_shoulder_roll_link

# retargeting map: canonical human joint -> robot body (+ point offset in the
# body frame, m).  Orientation targets use the body frames of the zero pose,
# which in H1 are all aligned with the pelvis (x forward, z up).
map pelvis      body=pelvis                   pos_w=1.0  rot_w=1.0
map chest       body=torso_link               pos_w=0.0  rot_w=0.5   offset=0,0,0.3
map head        body=torso_link               pos_w=0.1  rot_w=0.0   offset=0.045,0,0.66
map l_hip       body=left_hip_pitch_link      pos_w=0.5  rot_w=0.0
map r_hip       body=right_hip_pitch_link     pos_w=0.5  rot_w=0.0
map l_knee      body=left_knee_link           pos_w=1.0  rot_w=0.0
map r_knee      body=right_knee_link          pos_w=1.0  rot_w=0.0
map l_ankle     body=left_ankle_link          pos_w=1.0  rot_w=0.5
map r_ankle     body=right_ankle_link         pos_w=1.0  rot_w=0.5
map l_toe       body=left_ankle_link          pos_w=0.5  rot_w=0.0   offset=0.15,0,-0.06
map r_toe       body=right_ankle_link         pos_w=0.5  rot_w=0.0   offset=0.15,0,-0.06
map l_shoulder  body=left_shoulder_roll_link  pos_w=0.5  rot_w=0.0
map r_shoulder  body=right_shoulder_roll_link pos_w=0.5  rot_w=0.0
map l_elbow     body=left_elbow_link          pos_w=1.0  rot_w=0.0
map r_elbow     body=right_elbow_link         pos_w=1.0  rot_w=0.0
map l_wrist     body=left_elbow_link          pos_w=1.0  rot_w=0.0   offset=0.28,0,-0.015
map r_wrist     body=right_elbow_link         pos_w=1.0  rot_w=0.0   offset=0.28,0,-0.015
